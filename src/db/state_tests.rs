//! libpod's state_test.go, ported to berth's catalogue: the groups that
//! set IDs by hand (two objects with one ID, a pod's ID on a container),
//! lookups of empty and partial IDs, dependencies, pods and their members,
//! saved state read back. Each runs against a real SQLite file.

use super::{Db, Kind, NewContainer, Tx};
use crate::config::CgroupManager;
use crate::error::{Error, Result};
use crate::model::container::{ContainerConfig, ContainerStatus, State};
use crate::model::pod::PodConfig;

fn ctr(id: &str, name: &str) -> ContainerConfig {
    ContainerConfig { id: id.into(), name: name.into(), command: vec!["/bin/true".into()], ..Default::default() }
}

fn pod(id: &str, name: &str) -> PodConfig {
    PodConfig {
        id: id.into(),
        name: name.into(),
        labels: Default::default(),
        cgroup_manager: CgroupManager::Systemd,
        cgroup_parent: "machine.slice".into(),
        share_cgroup: false,
        cgroup_path: None,
        infra_id: None,
        created_nanos: 0,
        shared_namespaces: Vec::new(),
        hostname: None,
        exit_policy: "continue".into(),
        shm_size: None,
        resources: Default::default(),
    }
}

fn add(tx: &Tx, c: &ContainerConfig) -> Result<()> {
    tx.insert_container(NewContainer { config: c, status: &ContainerStatus::new() })
}

fn id(digit: char) -> String {
    std::iter::repeat_n(digit, 64).collect()
}

/// Run `f` in one change of a fresh catalogue.
async fn with_state<T: Send + 'static>(f: impl FnOnce(&Tx) -> Result<T> + Send + 'static) -> T {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(&dir.path().join("berth.db")).unwrap();
    db.write(f).await.unwrap()
}

/// C-state-6..11, 15..17, 264..266, 273..275, 423..427, 433..436: an ID
/// is one object's, container or pod; a second one with it is refused and
/// leaves nothing.
#[tokio::test]
async fn one_id_one_object() {
    with_state(|tx| {
        add(tx, &ctr(&id('1'), "test1"))?;
        assert!(add(tx, &ctr(&id('1'), "test2")).is_err());
        assert_eq!(tx.container_ids()?.len(), 1);
        tx.insert_pod(&pod(&id('2'), "testpod"))?;
        assert!(matches!(tx.resolve(Kind::Container, &id('2')), Err(Error::NoSuchContainer(_))));
        assert!(add(tx, &ctr(&id('2'), "testCtr")).is_err(), "a container with a pod's ID");
        assert!(tx.insert_pod(&pod(&id('1'), "testpod2")).is_err(), "a pod with a container's ID");
        assert!(tx.insert_pod(&pod(&id('2'), "testpod3")).is_err(), "two pods with one ID");
        assert_eq!(tx.pods()?.len(), 1);
        let mut member = ctr(&id('1'), "testCtr3");
        member.pod = Some(id('2'));
        assert!(add(tx, &member).is_err(), "a pod member with a container's ID");
        assert_eq!(tx.pod_members(&id('2'))?.len(), 0);
        assert_eq!(tx.container_ids()?.len(), 1);
        Ok(())
    })
    .await;
}

/// C-state-42, 87, 205, 213, 228..230, 247, 548, 549: empty, unknown and
/// ambiguous IDs find nothing.
#[tokio::test]
async fn lookups_of_empty_unknown_and_partial_ids() {
    with_state(|tx| {
        assert!(tx.resolve(Kind::Container, "").is_err());
        assert!(tx.resolve(Kind::Pod, "").is_err());
        assert!(tx.container("")?.is_none());
        assert!(tx.container("does not exist")?.is_none());
        let (a, b) = (format!("{}{}", "1".repeat(63), "1"), format!("{}{}", "1".repeat(63), "2"));
        tx.insert_pod(&pod(&a, "test1"))?;
        tx.insert_pod(&pod(&b, "test2"))?;
        assert!(matches!(tx.resolve(Kind::Pod, &a[..8]), Err(Error::AmbiguousName { .. })));
        assert!(matches!(tx.resolve(Kind::Pod, "nonexistent"), Err(Error::NoSuchPod(_))));
        assert_eq!(tx.resolve(Kind::Pod, &a)?, a);
        assert_eq!(tx.pod(&a)?.unwrap().name, "test1", "one pod of two");
        Ok(())
    })
    .await;
}

/// C-state-154..164, 172..175, 192, 193: dependencies are recorded both
/// ways, hold their target, and must name a container; a refused insert
/// leaves nothing (each change is its own transaction, as create's is).
#[tokio::test]
async fn dependencies() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(&dir.path().join("berth.db")).unwrap();
    db.write(|tx| {
        add(tx, &ctr(&id('1'), "one"))?;
        add(tx, &ctr(&id('2'), "two"))?;
        let mut three = ctr(&id('3'), "three");
        three.depends_on = vec![id('1'), id('2')];
        add(tx, &three)?;
        assert_eq!(tx.container_dependents(&id('1'))?, [id('3')]);
        assert_eq!(tx.container_dependents(&id('2'))?, [id('3')]);
        Ok(())
    })
    .await
    .unwrap();
    assert!(db.write(|tx| tx.delete_container(&id('1'))).await.is_err(), "a container others depend on stays");
    let mut bad = ctr(&id('4'), "four");
    bad.depends_on = vec!["5".repeat(32)];
    assert!(db.write(move |tx| add(tx, &bad)).await.is_err(), "a dependency that is no container");
    assert_eq!(db.read(|tx| tx.container_ids()).await.unwrap().len(), 3);
    db.write(|tx| {
        tx.delete_container(&id('3'))?;
        tx.delete_container(&id('1'))
    })
    .await
    .unwrap();
    assert_eq!(db.read(|tx| tx.container_ids()).await.unwrap().len(), 1);
}

/// C-state-99..102, 118..121, 546, 547: what is saved is read back; a
/// removed container is gone.
#[tokio::test]
async fn saved_state_and_removal() {
    with_state(|tx| {
        let c = ctr(&id('1'), "saved");
        add(tx, &c)?;
        assert_eq!(tx.container(&c.id)?.unwrap().config()?, &c);
        let stopped = ContainerStatus {
            state: State::Stopped,
            exit_code: Some(127),
            finished_at: Some(42),
            ..ContainerStatus::new()
        };
        tx.set_container_status(&c.id, &stopped)?;
        assert_eq!(tx.container(&c.id)?.unwrap().status, stopped);
        assert_eq!(tx.container_ids()?.len(), 1);
        tx.delete_container(&c.id)?;
        assert_eq!(tx.container_ids()?.len(), 0);
        assert!(tx.container(&c.id)?.is_none());
        Ok(())
    })
    .await;
}

/// C-state-291..298, 312..318, 329, 330, 378..384, 391..395: pods and
/// their members: listed, found, removed with their members first.
#[tokio::test]
async fn pods_and_members() {
    with_state(|tx| {
        assert_eq!(tx.pods()?.len(), 0);
        for (i, digit) in ['a', 'b', 'c'].into_iter().enumerate() {
            tx.insert_pod(&pod(&id(digit), &format!("pod{i}")))?;
            assert_eq!(tx.pods()?.len(), i + 1);
        }
        assert_eq!(tx.pod_members(&id('a'))?.len(), 0);
        let mut m1 = ctr(&id('1'), "m1");
        m1.pod = Some(id('a'));
        let mut m2 = ctr(&id('2'), "m2");
        m2.pod = Some(id('a'));
        m2.depends_on = vec![id('1')];
        add(tx, &m1)?;
        add(tx, &m2)?;
        assert_eq!(tx.pod_members(&id('a'))?.len(), 2);
        assert!(tx.delete_pod(&id('a')).is_err(), "a pod with members stays");
        assert_eq!(tx.pods()?.len(), 3);
        for member in [&m2, &m1] {
            tx.delete_container(&member.id)?;
        }
        assert_eq!(tx.pod_members(&id('a'))?.len(), 0);
        tx.delete_pod(&id('a'))?;
        let left: Vec<String> = tx.pods()?.into_iter().map(|p| p.name).collect();
        assert_eq!(left, ["pod1", "pod2"]);
        Ok(())
    })
    .await;
}

/// C-state-196..198 (berth rewrites a stored configuration only to rename
/// the container), 327..330: the rewritten configuration is what is read
/// back; a pod's members do not hold an empty or unknown ID.
#[tokio::test]
async fn rewritten_configuration_and_pod_membership() {
    with_state(|tx| {
        let c = ctr(&id('1'), "before");
        add(tx, &c)?;
        tx.rename_container(&c.id, "after")?;
        let read = tx.container(&c.id)?.unwrap();
        assert_eq!(read.config()?, &ContainerConfig { name: "after".into(), ..c.clone() });
        assert_eq!(tx.resolve(Kind::Container, "after")?, c.id);
        assert!(tx.resolve(Kind::Container, "before").is_err());
        tx.insert_pod(&pod(&id('a'), "p"))?;
        let members = tx.pod_members(&id('a'))?;
        assert!(!members.contains(&String::new()) && !members.contains(&"2".repeat(32)));
        assert!(tx.resolve(Kind::Container, "").is_err());
        Ok(())
    })
    .await;
}
