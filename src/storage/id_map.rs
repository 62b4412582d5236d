//! The user and group IDs this process's user namespace maps: every ID for
//! root on the host; for a user's berthd, the user (as 0) and the range
//! /etc/subuid and /etc/subgid give them (see rootless.rs). A file of an
//! image owned by an ID outside them cannot be created.

/// Ranges of IDs inside the namespace: (first, count).
#[derive(Debug, Clone, PartialEq)]
pub struct IdMap(Vec<(u64, u64)>);

impl IdMap {
    /// This process's map of `kind` ("uid" or "gid"); every ID when the
    /// kernel does not say (no user namespaces).
    pub fn of_self(kind: &str) -> IdMap {
        match std::fs::read_to_string(format!("/proc/self/{kind}_map")) {
            Ok(text) => IdMap::parse(&text),
            Err(_) => IdMap(vec![(0, u64::from(u32::MAX) + 1)]),
        }
    }

    /// The lines of /proc/PID/uid_map: inside, outside, count.
    pub fn parse(text: &str) -> IdMap {
        let ranges = text
            .lines()
            .filter_map(|line| {
                let mut fields = line.split_whitespace().map(str::parse::<u64>);
                let (Some(Ok(inside)), Some(Ok(_)), Some(Ok(count))) = (fields.next(), fields.next(), fields.next())
                else {
                    return None;
                };
                Some((inside, count))
            })
            .collect();
        IdMap(ranges)
    }

    pub fn maps(&self, id: u64) -> bool {
        self.0.iter().any(|&(first, count)| id >= first && id - first < count)
    }
}

impl std::fmt::Display for IdMap {
    /// "0-65536": the inclusive ranges.
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        let ranges: Vec<String> =
            self.0.iter().map(|&(first, count)| format!("{first}-{}", first + count.saturating_sub(1))).collect();
        f.write_str(&ranges.join(", "))
    }
}

/// The owner IDs a file may have here.
pub struct Owners {
    pub uids: IdMap,
    pub gids: IdMap,
}

impl Owners {
    pub fn of_self() -> Owners {
        Owners { uids: IdMap::of_self("uid"), gids: IdMap::of_self("gid") }
    }

    /// None when both IDs are mapped; otherwise what is wrong, for an error.
    pub fn refuses(&self, uid: u64, gid: u64) -> Option<String> {
        if self.uids.maps(uid) && self.gids.maps(gid) {
            return None;
        }
        Some(format!(
            "owned by {uid}:{gid}, outside the IDs this user namespace maps (user IDs {}, group IDs {}: \
             the user and the subordinate IDs /etc/subuid and /etc/subgid give them); give the user a \
             larger range (usermod --add-subuids, --add-subgids) and start berth again",
            self.uids, self.gids
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_users_namespace_maps_the_user_and_their_range_only() {
        let map = IdMap::parse("         0       1000          1\n         1     100000      65536\n");
        assert!(map.maps(0) && map.maps(1) && map.maps(65536));
        assert!(!map.maps(65537) && !map.maps(70000));
        assert_eq!(map.to_string(), "0-0, 1-65536");
        let host = IdMap::parse("         0          0 4294967295\n");
        assert!(host.maps(70000) && host.maps(4294967294));
        let owners = Owners { uids: map.clone(), gids: map };
        assert_eq!(owners.refuses(1000, 1000), None);
        let why = owners.refuses(70000, 0).unwrap();
        assert!(why.starts_with("owned by 70000:0, outside") && why.contains("1-65536"), "{why}");
        assert!(owners.refuses(0, 70000).is_some());
    }
}
