//! Runtime rules against a real SQLite file in a temporary root.

use super::{Removal, Runtime};
use crate::config::{CgroupManager, Config, ConfigFile};
use crate::error::Error;
use crate::model::container::{CreateSpec, State, VolumeSpec};
use crate::model::pod::PodSpec;
use std::path::PathBuf;
use std::sync::Arc;

struct Env {
    rt: Arc<Runtime>,
    rootfs: PathBuf,
    config: Config,
    _dir: tempfile::TempDir,
}

fn config(dir: &std::path::Path, manager: CgroupManager) -> Config {
    let mut config = Config::from_file(ConfigFile::default()).unwrap();
    config.root = dir.join("root");
    config.run_root = dir.join("run");
    config.cgroup_manager = manager;
    // Resolving a runtime only needs an executable file; nothing runs here.
    config.runtimes.insert("testrt".into(), vec!["/bin/sh".into()]);
    config.runtimes.insert("crun".into(), vec!["/bin/sh".into()]);
    config.runtimes.insert("missing".into(), vec!["/nonexistent/runtime".into()]);
    config.default_runtime = "testrt".into();
    config
}

async fn env_with(manager: CgroupManager) -> Env {
    let dir = tempfile::tempdir().unwrap();
    let rootfs = dir.path().join("rootfs");
    std::fs::create_dir_all(&rootfs).unwrap();
    let config = config(dir.path(), manager);
    Env { rt: Runtime::open(config.clone()).await.unwrap(), rootfs, config, _dir: dir }
}

async fn env() -> Env {
    env_with(CgroupManager::Cgroupfs).await
}

impl Env {
    fn spec(&self) -> CreateSpec {
        CreateSpec { rootfs: Some(self.rootfs.clone()), command: vec!["/bin/true".into()], ..Default::default() }
    }

    fn named(&self, name: &str) -> CreateSpec {
        CreateSpec { name: Some(name.into()), ..self.spec() }
    }

    async fn create(&self, spec: CreateSpec) -> String {
        self.rt.create_container(spec).await.unwrap().0
    }

    async fn set_state(&self, id: &str, state: State) {
        let id = id.to_string();
        self.rt.db.write(move |tx| tx.set_container_state(&id, state)).await.unwrap();
    }

    async fn ids(&self) -> Vec<String> {
        self.rt.list_containers(true, &[], false).await.unwrap().into_iter().map(|c| c.id).collect()
    }
}

#[tokio::test]
async fn create_applies_defaults_and_stores_the_record() {
    let e = env().await;
    let (id, name) = e.rt.create_container(e.named("web")).await.unwrap();
    assert_eq!(id.len(), 64);
    assert_eq!(name, "web");
    let i = e.rt.inspect_container("web", true).await.unwrap();
    assert_eq!(i.state.state, State::Configured);
    assert_eq!(i.config.shm_size, 64 << 20);
    assert_eq!(i.config.stop_signal, 15);
    assert_eq!(i.config.stop_timeout, 10);
    assert_eq!(i.config.log_driver, "k8s-file");
    assert_eq!(i.config.runtime_path, PathBuf::from("/bin/sh"));
    assert_eq!(i.config.cgroup_parent.as_deref(), Some("/berth_parent"));
    assert_eq!(i.rw_size, Some(0));
    // Nothing on the machine until it is initialized or mounted.
    assert!(!e.config.root.join("containers").join(&id).exists());

    let custom = CreateSpec {
        shm_size: Some("128m".into()),
        stop_signal: Some("SIGINT".into()),
        stop_timeout: Some(3),
        log_driver: Some("none".into()),
        timezone: Some("UTC".into()),
        ..e.named("custom")
    };
    e.create(custom).await;
    let c = e.rt.inspect_container("custom", false).await.unwrap().config;
    assert_eq!((c.shm_size, c.stop_signal, c.stop_timeout, c.log_driver.as_str()), (128 << 20, 2, 3, "none"));
}

#[tokio::test]
async fn create_rejects_bad_requests_and_leaves_nothing() {
    let e = env().await;
    let cases: Vec<(CreateSpec, &str)> = vec![
        (e.named("-bad"), "InvalidName"),
        (e.named("a b"), "InvalidName"),
        (CreateSpec { rootfs: Some("relative".into()), ..e.spec() }, "InvalidArgument"),
        (CreateSpec { rootfs: Some("/nonexistent/dir".into()), ..e.spec() }, "InvalidArgument"),
        (CreateSpec { rootfs: None, image: Some("alpine".into()), ..e.spec() }, "NoSuchImage"),
        (CreateSpec { command: vec![], ..e.spec() }, "InvalidArgument"),
        (CreateSpec { shm_size: Some("lots".into()), ..e.spec() }, "InvalidArgument"),
        (CreateSpec { stop_signal: Some("SIGNOPE".into()), ..e.spec() }, "InvalidArgument"),
        (CreateSpec { log_driver: Some("syslog".into()), ..e.spec() }, "InvalidArgument"),
        (CreateSpec { timezone: Some("Mars/Olympus".into()), ..e.spec() }, "InvalidArgument"),
        (CreateSpec { runtime: Some("nosuch".into()), ..e.spec() }, "RuntimeNotAvailable"),
        (CreateSpec { runtime: Some("missing".into()), ..e.spec() }, "RuntimeNotAvailable"),
        (CreateSpec { no_cgroups: true, ..e.spec() }, "InvalidArgument"),
        (CreateSpec { cgroup_parent: Some("machine.slice".into()), ..e.spec() }, "InvalidArgument"),
        (CreateSpec { pod: Some("nopod".into()), ..e.spec() }, "NoSuchPod"),
        (CreateSpec { depends_on: vec!["nobody".into()], ..e.spec() }, "NoSuchContainer"),
        (
            CreateSpec { volumes: vec![VolumeSpec { destination: "rel".into(), ..Default::default() }], ..e.spec() },
            "InvalidArgument",
        ),
        (
            CreateSpec {
                volumes: vec![VolumeSpec {
                    name: Some("v".into()),
                    destination: "/d".into(),
                    options: vec!["bogus".into()],
                }],
                ..e.spec()
            },
            "InvalidArgument",
        ),
    ];
    for (spec, want) in cases {
        let err = e.rt.create_container(spec.clone()).await.unwrap_err();
        let got = format!("{err:?}");
        assert!(got.starts_with(want), "{spec:?}: want {want}, got {got}");
    }
    // A failed create with volumes leaves neither records nor directories.
    let spec = CreateSpec {
        volumes: vec![VolumeSpec { name: Some("keepme".into()), destination: "/d".into(), options: vec![] }],
        depends_on: vec!["nobody".into()],
        ..e.spec()
    };
    assert!(e.rt.create_container(spec).await.is_err());
    assert!(e.ids().await.is_empty());
    assert!(e.rt.list_volumes(&[]).await.unwrap().is_empty());
    assert_eq!(std::fs::read_dir(e.config.root.join("volumes")).unwrap().count(), 0);
    assert_eq!(std::fs::read_dir(e.config.root.join("containers")).unwrap().count(), 0);
}

#[tokio::test]
async fn no_cgroups_needs_a_runtime_that_can() {
    let e = env().await;
    let spec = CreateSpec { no_cgroups: true, runtime: Some("crun".into()), ..e.spec() };
    let id = e.create(spec.clone()).await;
    assert_eq!(e.rt.inspect_container(&id, false).await.unwrap().config.cgroup_parent, None);
    let both = CreateSpec { cgroup_parent: Some("/x".into()), ..spec };
    assert!(matches!(e.rt.create_container(both).await, Err(Error::InvalidArgument { .. })));
}

#[tokio::test]
async fn systemd_manager_wants_slices_and_pods_give_theirs() {
    let e = env_with(CgroupManager::Systemd).await;
    let id = e.create(e.spec()).await;
    assert_eq!(
        e.rt.inspect_container(&id, false).await.unwrap().config.cgroup_parent.as_deref(),
        Some("machine.slice")
    );
    let bad = CreateSpec { cgroup_parent: Some("/berth".into()), ..e.spec() };
    assert!(matches!(e.rt.create_container(bad).await, Err(Error::InvalidArgument { .. })));
    let ok = CreateSpec { cgroup_parent: Some("apps.slice".into()), ..e.spec() };
    e.create(ok).await;

    // A pod with a cgroup of its own needs its slice, made through systemd;
    // with no system bus here, it is refused and nothing is left (the pod
    // slices themselves are tested in a booted systemd, tests/systemd.rs).
    let refused = e.rt.create_pod(PodSpec { name: Some("p".into()), ..Default::default() }).await;
    assert!(matches!(refused, Err(Error::Runtime(ref why)) if why.contains("system bus")), "{refused:?}");
    assert!(e.rt.list_pods(&[]).await.unwrap().is_empty());

    let (_, _) =
        e.rt.create_pod(PodSpec { name: Some("q".into()), share_cgroup: Some(false), ..Default::default() })
            .await
            .unwrap();
    let loose = e.create(CreateSpec { pod: Some("q".into()), ..e.spec() }).await;
    let parent = e.rt.inspect_container(&loose, false).await.unwrap().config.cgroup_parent;
    assert_eq!(parent.as_deref(), Some("machine.slice"));
    assert!(e.rt.create_pod(PodSpec { cgroup_parent: Some("/x".into()), ..Default::default() }).await.is_err());
}

#[tokio::test]
async fn names_are_unique_across_containers_and_pods() {
    let e = env().await;
    e.create(e.named("web")).await;
    assert!(matches!(e.rt.create_container(e.named("web")).await, Err(Error::NameInUse(n)) if n == "web"));
    assert!(matches!(
        e.rt.create_pod(PodSpec { name: Some("web".into()), ..Default::default() }).await,
        Err(Error::NameInUse(_))
    ));
    e.rt.create_pod(PodSpec { name: Some("pod1".into()), ..Default::default() }).await.unwrap();
    assert!(matches!(e.rt.create_container(e.named("pod1")).await, Err(Error::NameInUse(_))));
    assert!(matches!(e.rt.rename_container("web", "pod1").await, Err(Error::NameInUse(_))));
    // Generated names are adjective_noun and distinct.
    let mut names = std::collections::HashSet::new();
    for _ in 0..50 {
        let (_, name) = e.rt.create_container(e.spec()).await.unwrap();
        assert_eq!(name.split('_').count(), 2, "{name}");
        assert!(names.insert(name));
    }
}

#[tokio::test]
async fn lookup_by_id_name_and_unique_prefix() {
    let e = env().await;
    let mut ids = Vec::new();
    // 17 IDs over 16 hex digits: at least two share their first character.
    for i in 0..17 {
        ids.push(e.create(e.named(&format!("c{i}"))).await);
    }
    let id = &ids[0];
    assert_eq!(e.rt.lookup_container_id(id).await.unwrap(), *id);
    assert_eq!(e.rt.lookup_container_id("c0").await.unwrap(), *id);
    assert_eq!(e.rt.lookup_container_id(&id[..12]).await.unwrap(), *id);
    let shared = ids.iter().map(|i| &i[..1]).find(|p| ids.iter().filter(|i| i.starts_with(*p)).count() > 1).unwrap();
    match e.rt.lookup_container_id(shared).await {
        Err(Error::AmbiguousName { name_or_id, matches }) => {
            assert_eq!(name_or_id, shared);
            assert!(matches.len() >= 2 && matches.iter().all(|m| m.starts_with(shared)));
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(e.rt.lookup_container_id("nope").await, Err(Error::NoSuchContainer(n)) if n == "nope"));
    assert!(!e.rt.container_exists("nope").await.unwrap());
    assert!(e.rt.container_exists("c3").await.unwrap());
    // A name wins over an ID prefix it happens to look like.
    let hexname = e.create(e.named("abc")).await;
    assert_eq!(e.rt.lookup_container_id("abc").await.unwrap(), hexname);
    let resolved = e.rt.lookup_container_ids(vec!["c2".into(), ids[5].clone()]).await.unwrap();
    assert_eq!(resolved, vec![ids[2].clone(), ids[5].clone()]);
    assert!(e.rt.lookup_container_ids(vec!["c2".into(), "zz".into()]).await.is_err());
    // A pod name is not a container.
    e.rt.create_pod(PodSpec { name: Some("pp".into()), ..Default::default() }).await.unwrap();
    assert!(matches!(e.rt.lookup_container_id("pp").await, Err(Error::NoSuchContainer(_))));
}

#[tokio::test]
async fn list_filters_latest_and_running_only() {
    let e = env().await;
    let a = e.create(CreateSpec { labels: [("app".into(), "web".into())].into(), ..e.named("a") }).await;
    let b = e.create(CreateSpec { labels: [("app".into(), "db".into())].into(), ..e.named("b") }).await;
    let c = e.create(e.named("c")).await;
    e.set_state(&c, State::Running).await;
    let list = |all: bool, f: &[&str], latest: bool| {
        let f: Vec<String> = f.iter().map(|s| s.to_string()).collect();
        let rt = e.rt.clone();
        async move { rt.list_containers(all, &f, latest).await.unwrap().into_iter().map(|c| c.name).collect::<Vec<_>>() }
    };
    assert_eq!(list(false, &[], false).await, ["c"]);
    assert_eq!(list(true, &[], false).await, ["a", "b", "c"]);
    assert_eq!(list(true, &["label=app"], false).await, ["a", "b"]);
    assert_eq!(list(true, &["label=app=db"], false).await, ["b"]);
    assert_eq!(list(true, &["status=running"], false).await, ["c"]);
    assert_eq!(list(true, &["status=created", "label=app=web"], false).await, ["a"]);
    assert_eq!(list(true, &["before=b"], false).await, ["a"]);
    assert_eq!(list(true, &["since=a"], false).await, ["b", "c"]);
    assert_eq!(list(true, &["id=".to_string().as_str()], false).await.len(), 3);
    assert_eq!(list(true, &[&format!("id={}", &b[..10])], false).await, ["b"]);
    assert_eq!(list(true, &[], true).await, ["c"]);
    assert_eq!(list(true, &["label=app"], true).await, ["b"]);
    assert!(e.rt.list_containers(true, &["before=nobody".into()], false).await.is_err());
    let _ = a;
}

#[tokio::test]
async fn rename_is_atomic_against_a_concurrent_create() {
    let e = env().await;
    for round in 0..20 {
        let id = e.create(e.spec()).await;
        let name = format!("contested{round}");
        let (rt1, rt2) = (e.rt.clone(), e.rt.clone());
        let (n1, spec) = (name.clone(), e.named(&name));
        let rename = tokio::spawn(async move { rt1.rename_container(&id, &n1).await });
        let create = tokio::spawn(async move { rt2.create_container(spec).await });
        let (r, c) = (rename.await.unwrap(), create.await.unwrap());
        assert!(r.is_ok() != c.is_ok(), "round {round}: exactly one may win: {r:?} {c:?}");
        let loser = r.err().or(c.err()).unwrap();
        assert!(matches!(loser, Error::NameInUse(ref n) if *n == name), "{loser:?}");
        let holders = e.rt.list_containers(true, &[format!("name=^{name}$")], false).await.unwrap();
        assert_eq!(holders.len(), 1);
    }
}

#[tokio::test]
async fn rename_rules() {
    let e = env().await;
    let id = e.create(e.named("old")).await;
    e.set_state(&id, State::Exited).await;
    assert_eq!(e.rt.rename_container("old", "new").await.unwrap(), (id.clone(), "new".into()));
    assert_eq!(e.rt.inspect_container(&id, false).await.unwrap().config.name, "new");
    assert!(matches!(e.rt.lookup_container_id("old").await, Err(Error::NoSuchContainer(_))));
    assert!(matches!(e.rt.rename_container("new", "bad name").await, Err(Error::InvalidName { .. })));
    assert!(matches!(e.rt.rename_container("ghost", "x").await, Err(Error::NoSuchContainer(_))));
    e.rt.rename_container("new", "new").await.unwrap();
}

#[tokio::test]
async fn remove_refusals() {
    let e = env().await;
    let running = e.create(e.named("running")).await;
    e.set_state(&running, State::Running).await;
    match e.rt.remove_container("running", Removal::default()).await {
        Err(Error::InvalidState { id, state, .. }) => assert_eq!((id, state.as_str()), (running.clone(), "running")),
        other => panic!("{other:?}"),
    }
    let paused = e.create(e.named("paused")).await;
    e.set_state(&paused, State::Paused).await;
    assert!(matches!(e.rt.remove_container("paused", Removal::default()).await, Err(Error::InvalidState { .. })));

    let base = e.create(e.named("base")).await;
    let dep = e.create(CreateSpec { depends_on: vec!["base".into()], ..e.named("dep") }).await;
    match e.rt.remove_container("base", Removal { force: true, ..Default::default() }).await {
        Err(Error::HasDependents { id, dependents }) => assert_eq!((id, dependents), (base.clone(), vec![dep.clone()])),
        other => panic!("{other:?}"),
    }

    let busy = e.create(e.named("busy")).await;
    e.rt.db.write(|tx| tx.insert_exec_session("e1", &busy, &["sh".into()], 0)).await.unwrap();
    match e.rt.remove_container("busy", Removal::default()).await {
        Err(Error::ActiveExecSessions { id, sessions }) => {
            assert_eq!((id, sessions), (busy.clone(), vec!["e1".into()]))
        }
        other => panic!("{other:?}"),
    }
    // Force removes it, and its exec session record with it.
    e.rt.remove_container("busy", Removal { force: true, ..Default::default() }).await.unwrap();

    let (_, _) = e.rt.create_pod(PodSpec { name: Some("p".into()), infra: true, ..Default::default() }).await.unwrap();
    let infra = e.rt.inspect_pod("p").await.unwrap().config.infra_id.unwrap();
    assert!(matches!(
        e.rt.remove_container(&infra, Removal { force: true, ..Default::default() }).await,
        Err(Error::InfraContainer { .. })
    ));
    // podman renames an infra container (its pod knows it by ID).
    e.rt.rename_container(&infra, "x").await.unwrap();

    // Refused removals changed nothing.
    for id in [&running, &paused, &base, &dep, &infra] {
        assert!(e.rt.container_exists(id).await.unwrap());
    }
    assert_eq!(e.rt.inspect_container(&base, false).await.unwrap().state.state, State::Configured);
    // Dependents first, then the base.
    e.rt.remove_container("dep", Removal::default()).await.unwrap();
    e.rt.remove_container("base", Removal::default()).await.unwrap();
    assert!(!e.config.root.join("containers").join(&base).exists());
}

/// A container never initialized nor mounted has only its directory, which
/// the start-up repair deletes when it has no record: its removal is one
/// commit (the record goes, then the directory). One that has run keeps the
/// `removing` step: two commits.
#[tokio::test]
async fn removing_a_container_that_never_ran_is_one_commit() {
    let e = env().await;
    let never = e.create(e.named("never")).await;
    let ran = e.create(e.named("ran")).await;
    e.set_state(&ran, State::Exited).await;
    for (id, commits) in [(&never, 1), (&ran, 2)] {
        let before = e.rt.db.commits();
        e.rt.remove_container(id, Removal::default()).await.unwrap();
        assert_eq!(e.rt.db.commits() - before, commits, "{id}");
        assert!(!e.rt.container_exists(id).await.unwrap());
        assert!(!e.config.root.join("containers").join(id).exists());
    }
}

#[tokio::test]
async fn remove_takes_anonymous_volumes_only_when_asked_and_never_named_ones() {
    let e = env().await;
    let vols =
        |n: Option<&str>, d: &str| VolumeSpec { name: n.map(Into::into), destination: d.into(), options: vec![] };
    let spec = CreateSpec { volumes: vec![vols(None, "/anon"), vols(Some("named"), "/named")], ..e.named("one") };
    let id = e.create(spec.clone()).await;
    let anon = e.rt.inspect_container(&id, false).await.unwrap().config.volumes[0].name.clone();
    assert_eq!(anon.len(), 64);
    e.rt.remove_container("one", Removal::default()).await.unwrap();
    assert!(e.rt.volume_exists(&anon).await.unwrap(), "kept without volumes=true");

    let id = e.create(CreateSpec { name: Some("two".into()), ..spec }).await;
    let anon2 = e.rt.inspect_container(&id, false).await.unwrap().config.volumes[0].name.clone();
    e.rt.remove_container("two", Removal { volumes: true, ..Default::default() }).await.unwrap();
    assert!(!e.rt.volume_exists(&anon2).await.unwrap());
    assert!(!e.config.root.join("volumes").join(&anon2).exists());
    assert!(e.rt.volume_exists("named").await.unwrap());
    assert!(e.config.root.join("volumes/named/_data").is_dir());
}

#[tokio::test]
async fn evict_removes_a_container_whose_record_is_corrupt() {
    let e = env().await;
    let vols = vec![
        VolumeSpec { name: None, destination: "/a".into(), options: vec![] },
        VolumeSpec { name: Some("kept".into()), destination: "/k".into(), options: vec![] },
    ];
    let id = e.create(CreateSpec { volumes: vols, ..e.named("broken") }).await;
    let anon = e.rt.inspect_container(&id, false).await.unwrap().config.volumes[0].name.clone();
    e.rt.db.write(|tx| tx.overwrite_container_config(&id, "{not json")).await.unwrap();
    assert!(matches!(e.rt.inspect_container("broken", false).await, Err(Error::Storage(_))));
    assert!(
        matches!(e.rt.remove_container("broken", Removal { force: true, ..Default::default() }).await, Err(Error::Storage(m)) if m.contains("evict"))
    );
    let problems = e.rt.check(false).await.unwrap();
    assert!(problems.iter().any(|p| p.kind == "unreadable-record" && p.id == id));
    assert_eq!(e.rt.list_containers(true, &[], false).await.unwrap().len(), 1, "listing still works");

    assert_eq!(e.rt.evict_container("broken", true).await.unwrap(), id);
    assert!(!e.rt.container_exists(&id).await.unwrap());
    assert!(!e.rt.volume_exists(&anon).await.unwrap());
    assert!(e.rt.volume_exists("kept").await.unwrap());
    assert!(!e.config.root.join("containers").join(&id).exists());
    assert!(e.rt.check(false).await.unwrap().is_empty());
}

#[tokio::test]
async fn prune_takes_only_stopped_containers_outside_pods() {
    let e = env().await;
    let mut keep = Vec::new();
    let mut gone = Vec::new();
    // Created means a runtime container exists; that case needs real runc
    // and is covered by the integration tests.
    for (i, st) in State::ALL.into_iter().filter(|s| !matches!(s, State::Removing | State::Created)).enumerate() {
        let id = e.create(e.named(&format!("s{i}"))).await;
        e.set_state(&id, st).await;
        if st.can_prune() {
            gone.push(id)
        } else {
            keep.push(id)
        }
    }
    e.rt.create_pod(PodSpec { name: Some("p".into()), ..Default::default() }).await.unwrap();
    keep.push(e.create(CreateSpec { pod: Some("p".into()), ..e.named("member") }).await);
    keep.push(e.create(CreateSpec { labels: [("keep".into(), "yes".into())].into(), ..e.named("labelled") }).await);
    let wrote = gone[0].clone();
    let upper = e.config.root.join("containers").join(&wrote).join("upper");
    std::fs::create_dir_all(&upper).unwrap();
    std::fs::write(upper.join("written"), vec![0u8; 5000]).unwrap();

    let reports = e.rt.prune_containers(&["label!=keep".into()]).await.unwrap();
    let mut pruned: Vec<String> = reports.iter().map(|r| r.id.clone()).collect();
    pruned.sort();
    gone.sort();
    assert_eq!(pruned, gone);
    assert!(reports.iter().all(|r| r.error.is_none()));
    assert_eq!(reports.iter().find(|r| r.id == wrote).unwrap().size, 5000);
    for id in &keep {
        assert!(e.rt.container_exists(id).await.unwrap());
    }
    assert!(e.rt.prune_containers(&["status=exited".into()]).await.is_err());
}

#[tokio::test]
async fn pods_go_with_their_stopped_members() {
    let e = env().await;
    let (pod, _) =
        e.rt.create_pod(PodSpec { name: Some("p".into()), infra: true, ..Default::default() }).await.unwrap();
    let info = e.rt.inspect_pod("p").await.unwrap();
    let infra = info.config.infra_id.clone().unwrap();
    assert_eq!(info.containers, vec![infra.clone()]);
    let m = e.create(CreateSpec { pod: Some(pod[..12].into()), ..e.named("m") }).await;
    // Members without processes go with the pod, force or not (a running
    // one refuses it: tests/varlink.rs and tests/podman.rs, with a runtime).
    let (id, removed) = e.rt.remove_pod("p", false, None).await.unwrap();
    assert_eq!(id, pod);
    assert_eq!(removed, vec![m.clone(), infra.clone()]);
    assert!(!e.rt.pod_exists(&pod).await.unwrap());
    assert!(e.ids().await.is_empty());
    // A pod with only its infra container goes without force.
    e.rt.create_pod(PodSpec { name: Some("q".into()), infra: true, ..Default::default() }).await.unwrap();
    e.rt.remove_pod("q", false, None).await.unwrap();
    assert!(matches!(e.rt.remove_pod("q", false, None).await, Err(Error::NoSuchPod(_))));
    let pods = e.rt.list_pods(&[]).await.unwrap();
    assert!(pods.is_empty());
}

#[tokio::test]
async fn pod_list_filters() {
    let e = env().await;
    e.rt.create_pod(PodSpec {
        name: Some("a".into()),
        labels: [("t".into(), "1".into())].into(),
        ..Default::default()
    })
    .await
    .unwrap();
    e.rt.create_pod(PodSpec { name: Some("b".into()), ..Default::default() }).await.unwrap();
    let names = |f: &[&str]| {
        let f: Vec<String> = f.iter().map(|s| s.to_string()).collect();
        let rt = e.rt.clone();
        async move { rt.list_pods(&f).await.unwrap().into_iter().map(|p| p.config.name).collect::<Vec<_>>() }
    };
    assert_eq!(names(&[]).await, ["a", "b"]);
    assert_eq!(names(&["label=t=1"]).await, ["a"]);
    assert_eq!(names(&["name=b"]).await, ["b"]);
    assert!(e.rt.list_pods(&["bogus=1".into()]).await.is_err());
}

#[tokio::test]
async fn volume_rules() {
    let e = env().await;
    assert_eq!(e.rt.create_volume(Some("data".into()), Default::default(), Default::default()).await.unwrap(), "data");
    assert!(matches!(
        e.rt.create_volume(Some("data".into()), Default::default(), Default::default()).await,
        Err(Error::NameInUse(_))
    ));
    assert!(matches!(
        e.rt.create_volume(Some("../x".into()), Default::default(), Default::default()).await,
        Err(Error::InvalidName { .. })
    ));
    let anon = e.rt.create_volume(None, Default::default(), Default::default()).await.unwrap();
    assert!(e.rt.inspect_volume(&anon).await.unwrap().config.anonymous);
    let user = e
        .create(CreateSpec {
            volumes: vec![VolumeSpec { name: Some("data".into()), destination: "/d".into(), options: vec![] }],
            ..e.named("user")
        })
        .await;
    match e.rt.remove_volume("data", false).await {
        Err(Error::VolumeInUse { name, users }) => assert_eq!((name, users), ("data".into(), vec![user.clone()])),
        other => panic!("{other:?}"),
    }
    assert_eq!(e.rt.list_volumes(&["dangling=true".into()]).await.unwrap().len(), 1);
    let pruned = e.rt.prune_volumes(&[]).await.unwrap();
    assert_eq!(pruned.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(), [anon.as_str()]);
    assert!(e.rt.volume_exists("data").await.unwrap());
    assert_eq!(e.rt.remove_volume("data", true).await.unwrap(), vec![user.clone()]);
    assert!(!e.rt.container_exists(&user).await.unwrap());
    assert!(!e.config.root.join("volumes/data").exists());
    assert!(matches!(e.rt.remove_volume("data", false).await, Err(Error::NoSuchVolume(_))));
}

#[tokio::test]
async fn restart_finishes_interrupted_removals_and_drops_orphans() {
    let dir = tempfile::tempdir().unwrap();
    let rootfs = dir.path().join("rootfs");
    std::fs::create_dir_all(&rootfs).unwrap();
    let config = config(dir.path(), CgroupManager::Cgroupfs);
    let spec = CreateSpec { rootfs: Some(rootfs), command: vec!["/bin/true".into()], ..Default::default() };
    let (half_removed, kept) = {
        let rt = Runtime::open(config.clone()).await.unwrap();
        let a = rt.create_container(spec.clone()).await.unwrap().0;
        let b = rt.create_container(spec).await.unwrap().0;
        // A crash after step 1 of remove: the intent is recorded, nothing done.
        rt.db.write(|tx| tx.set_container_state(&a, State::Removing)).await.unwrap();
        (a, b)
    };
    std::fs::create_dir_all(config.root.join("containers/orphan")).unwrap();
    std::fs::create_dir_all(config.root.join("volumes/orphanvol/_data")).unwrap();
    let rt = Runtime::open(config.clone()).await.unwrap();
    assert!(!rt.container_exists(&half_removed).await.unwrap());
    assert!(!config.root.join("containers").join(&half_removed).exists());
    assert!(rt.container_exists(&kept).await.unwrap());
    assert!(!config.root.join("containers/orphan").exists());
    assert!(!config.root.join("volumes/orphanvol").exists());
    assert!(rt.check(false).await.unwrap().is_empty());
}

#[tokio::test]
async fn events_for_every_change() {
    let e = env().await;
    let mut rx = e.rt.events().subscribe();
    let id = e.create(CreateSpec { labels: [("l".into(), "v".into())].into(), ..e.named("ev") }).await;
    e.rt.rename_container("ev", "ev2").await.unwrap();
    e.rt.remove_container("ev2", Removal::default()).await.unwrap();
    e.rt.create_volume(Some("v".into()), Default::default(), Default::default()).await.unwrap();
    e.rt.remove_volume("v", false).await.unwrap();
    e.rt.create_pod(PodSpec { name: Some("p".into()), ..Default::default() }).await.unwrap();
    e.rt.remove_pod("p", false, None).await.unwrap();
    let mut seen = Vec::new();
    while let Ok(ev) = rx.try_recv() {
        seen.push(format!("{} {} {}", ev.kind.as_str(), ev.action, ev.name));
    }
    assert_eq!(
        seen,
        [
            "container create ev",
            "container rename ev2",
            "container remove ev2",
            "volume create v",
            "volume remove v",
            "pod create p",
            "pod remove p"
        ]
    );
    let _ = id;
}

#[tokio::test]
async fn more_containers_than_podmans_lock_table() {
    let e = env().await;
    for _ in 0..2100 {
        e.create(e.spec()).await;
    }
    assert_eq!(e.rt.info().await.unwrap().containers, 2100);
}
