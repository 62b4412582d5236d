//! Seccomp: berth's default profile, and the profiles a container may ask
//! for instead (podman's `--security-opt seccomp=unconfined|PATH`).
//!
//! podman's default profile is an allowlist with capability-dependent
//! groups. berth's states the same decisions as a denylist: what podman's
//! denies a container that lacks the matching capability (or denies every
//! container) is denied here, with podman's errors; everything else is
//! allowed. A system call newer than the list is thus allowed rather than
//! refused with ENOSYS, which keeps containers of newer userlands working
//! at the cost of not denying what nobody has reviewed yet.

use super::error::{OciError, Result};
use oci_spec::runtime::{
    Arch, LinuxSeccomp, LinuxSeccompAction, LinuxSeccompArgBuilder, LinuxSeccompBuilder, LinuxSeccompOperator,
    LinuxSyscall, LinuxSyscallBuilder,
};
use std::path::Path;

const EPERM: u32 = 1;
const ENOSYS: u32 = 38;

/// System calls a container may make only with one of the capabilities
/// named (in its bounding set), as in podman's profile.
const WITH_CAPABILITY: &[(&[&str], &[&str])] = &[
    (
        &["CAP_SYS_ADMIN"],
        &[
            "fanotify_init",
            "fsconfig",
            "fsmount",
            "fsopen",
            "fspick",
            "lookup_dcookie",
            "mount",
            "mount_setattr",
            "move_mount",
            "open_tree",
            "pivot_root",
            "quotactl",
            "quotactl_fd",
            "setns",
            "swapoff",
            "swapon",
            "umount",
            "umount2",
            "unshare",
        ],
    ),
    (&["CAP_SYS_ADMIN", "CAP_BPF"], &["bpf"]),
    (&["CAP_SYS_ADMIN", "CAP_PERFMON"], &["perf_event_open"]),
    (&["CAP_SYS_BOOT"], &["reboot"]),
    (&["CAP_SYS_MODULE"], &["delete_module", "finit_module", "init_module"]),
    (&["CAP_SYS_PACCT"], &["acct"]),
    (&["CAP_SYS_PTRACE"], &["kcmp", "process_madvise", "process_vm_readv", "process_vm_writev"]),
    (&["CAP_SYS_RAWIO"], &["ioperm", "iopl"]),
    (
        &["CAP_SYS_TIME"],
        &["clock_adjtime", "clock_adjtime64", "clock_settime", "clock_settime64", "settimeofday", "stime"],
    ),
    (&["CAP_SYS_TTY_CONFIG"], &["vhangup"]),
    (&["CAP_SYS_NICE"], &["get_mempolicy", "mbind", "set_mempolicy", "set_mempolicy_home_node"]),
    (&["CAP_SYSLOG"], &["syslog"]),
    (&["CAP_DAC_READ_SEARCH"], &["open_by_handle_at"]),
];

/// Denied to every container: not namespaced (the kernel keyring, kexec)
/// or long obsolete.
const NEVER: &[&str] = &[
    "_sysctl",
    "add_key",
    "create_module",
    "get_kernel_syms",
    "kexec_file_load",
    "kexec_load",
    "keyctl",
    "nfsservctl",
    "query_module",
    "request_key",
    "sysfs",
    "uselib",
    "ustat",
    "vm86",
    "vm86old",
];

/// clone's flags that make namespaces: a container without CAP_SYS_ADMIN
/// may not (clone3, whose flags seccomp cannot read, answers ENOSYS so
/// that libc falls back to clone).
const CLONE_NAMESPACE_FLAGS: &[u64] =
    &[0x0002_0000, 0x0200_0000, 0x0400_0000, 0x0800_0000, 0x1000_0000, 0x2000_0000, 0x4000_0000];

fn architectures() -> Vec<Arch> {
    match std::env::consts::ARCH {
        "x86_64" => vec![Arch::ScmpArchX86_64, Arch::ScmpArchX86, Arch::ScmpArchX32],
        "aarch64" => vec![Arch::ScmpArchAarch64, Arch::ScmpArchArm],
        _ => vec![Arch::ScmpArchNative],
    }
}

fn spec_err(e: oci_spec::OciSpecError) -> OciError {
    OciError::Argument { field: "seccompProfile", reason: e.to_string() }
}

fn deny(names: &[&str], errno: u32) -> Result<LinuxSyscall> {
    LinuxSyscallBuilder::default()
        .names(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
        .action(LinuxSeccompAction::ScmpActErrno)
        .errno_ret(errno)
        .build()
        .map_err(spec_err)
}

/// berth's default profile for a container whose bounding set is `capabilities`
/// (names such as CAP_SYS_ADMIN).
pub fn default_profile(capabilities: &[String]) -> Result<LinuxSeccomp> {
    let has = |names: &[&str]| names.iter().any(|n| capabilities.iter().any(|c| c == n));
    let mut syscalls = vec![deny(NEVER, EPERM)?];
    for (needs, names) in WITH_CAPABILITY {
        if !has(needs) {
            syscalls.push(deny(names, EPERM)?);
        }
    }
    if !has(&["CAP_SYS_ADMIN"]) {
        syscalls.push(deny(&["clone3"], ENOSYS)?);
        for flag in CLONE_NAMESPACE_FLAGS {
            let arg = LinuxSeccompArgBuilder::default()
                .index(0usize)
                .value(*flag)
                .value_two(*flag)
                .op(LinuxSeccompOperator::ScmpCmpMaskedEq)
                .build()
                .map_err(spec_err)?;
            let mut rule = deny(&["clone"], EPERM)?;
            rule.set_args(Some(vec![arg]));
            syscalls.push(rule);
        }
    }
    LinuxSeccompBuilder::default()
        .default_action(LinuxSeccompAction::ScmpActAllow)
        .architectures(architectures())
        .syscalls(syscalls)
        .build()
        .map_err(spec_err)
}

/// A profile file in the OCI runtime spec's form (docker's and podman's
/// profiles are written in it, but for their extra keys, which berth
/// does not read).
pub fn read_profile(path: &Path) -> Result<LinuxSeccomp> {
    let text = std::fs::read_to_string(path).map_err(|e| OciError::file(path, e))?;
    serde_json::from_str(&text).map_err(|e| OciError::Argument {
        field: "seccompProfile",
        reason: format!("{}: not a seccomp profile: {e}", path.display()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capabilities_lift_their_denials() {
        let names = |p: &LinuxSeccomp| -> Vec<String> {
            p.syscalls().iter().flatten().flat_map(|s| s.names().clone()).collect()
        };
        let plain = default_profile(&["CAP_CHOWN".into()]).unwrap();
        for name in ["mount", "unshare", "keyctl", "clone3", "clone", "reboot", "bpf"] {
            assert!(names(&plain).iter().any(|n| n == name), "{name}");
        }
        let admin = default_profile(&["CAP_SYS_ADMIN".into(), "CAP_SYS_BOOT".into()]).unwrap();
        for name in ["mount", "unshare", "clone3", "clone", "reboot", "bpf"] {
            assert!(!names(&admin).iter().any(|n| n == name), "{name}");
        }
        assert!(names(&admin).iter().any(|n| n == "keyctl"), "never allowed");
    }
}
