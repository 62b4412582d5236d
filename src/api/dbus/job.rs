//! A pull as a job object at /io/berth/Berth1/job/<n>
//! (io.berth.Berth1.Job), as systemd's import1 makes each transfer an
//! object: a desktop program starts it with the manager's BeginPullImage,
//! shows a progress bar from the object's properties (each change
//! signalled), and learns the end from the manager's JobRemoved, which
//! carries the result, the image ID and the error, after which the object
//! is gone.

use super::manager::Manager;
use super::{Ctx, MANAGER_PATH};
use crate::model::image::PullProgress;
use crate::runtime::PullOptions;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Mutex;
use zbus::object_server::SignalEmitter;
use zbus::{interface, Connection, OwnedObjectPath, Variant};

pub fn job_path(id: u32) -> OwnedObjectPath {
    OwnedObjectPath::try_from(format!("{MANAGER_PATH}/job/{id}")).expect("a number is valid in an object path")
}

/// Job numbers, from 1, for the life of the process (import1's are too).
static NEXT_ID: AtomicU32 = AtomicU32::new(1);

/// Where a pull stands, summed over the blobs it has heard of.
#[derive(Debug, Default, Clone)]
struct Standing {
    status: String,
    /// Per blob: bytes fetched (or found stored) and its size.
    blobs: HashMap<String, (u64, u64)>,
}

impl Standing {
    fn bytes(&self) -> (u64, u64) {
        self.blobs.values().fold((0, 0), |(done, total), (d, t)| (done + d, total + t))
    }

    fn progress(&self) -> f64 {
        match self.bytes() {
            _ if self.status == "done" => 1.0,
            (_, 0) => 0.0,
            (done, total) => done as f64 / total as f64,
        }
    }

    /// Take in one report; the properties that changed, by their names.
    fn take(&mut self, p: PullProgress) -> HashMap<&'static str, Variant<'static>> {
        let before = (self.status.clone(), self.bytes(), self.progress());
        self.status = p.status.to_string();
        if let Some(digest) = p.digest {
            let (current, total) = match p.status {
                // A layer stored already counts as fetched.
                "exists" => (p.total.max(p.current), p.total.max(p.current)),
                _ => (p.current, p.total),
            };
            self.blobs.insert(digest, (current, total.max(current)));
        }
        let mut changed: HashMap<&'static str, Variant<'static>> = HashMap::new();
        if self.status != before.0 {
            changed.insert("Status", self.status.clone().into());
        }
        let (done, total) = self.bytes();
        if (done, total) != before.1 {
            changed.insert("BytesDone", done.into());
            changed.insert("BytesTotal", total.into());
        }
        if self.progress() != before.2 {
            changed.insert("Progress", self.progress().into());
        }
        changed
    }
}

pub struct JobObject {
    id: u32,
    reference: String,
    standing: Mutex<Standing>,
}

#[interface(name = "io.berth.Berth1.Job")]
impl JobObject {
    #[zbus(property(emits_changed_signal = "const"))]
    fn id(&self) -> u32 {
        self.id
    }

    /// What the job does: "pull".
    #[zbus(property(emits_changed_signal = "const"))]
    fn kind(&self) -> String {
        "pull".into()
    }

    /// The reference being pulled, as given.
    #[zbus(property(emits_changed_signal = "const"))]
    fn reference(&self) -> String {
        self.reference.clone()
    }

    /// The step it is at: resolving, downloading, exists (a layer stored
    /// already), unpacking ("" before the first).
    #[zbus(property)]
    fn status(&self) -> String {
        self.standing().status
    }

    /// From 0 to 1: the bytes of the blobs heard of so far that are fetched
    /// (1 once done).
    #[zbus(property)]
    fn progress(&self) -> f64 {
        self.standing().progress()
    }

    #[zbus(property)]
    fn bytes_done(&self) -> u64 {
        self.standing().bytes().0
    }

    #[zbus(property)]
    fn bytes_total(&self) -> u64 {
        self.standing().bytes().1
    }
}

impl JobObject {
    fn standing(&self) -> Standing {
        self.standing.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

/// Put a pull's job on the bus, say so (JobNew), and run it; its end is
/// announced with JobRemoved. The caller was authorized already.
pub async fn begin_pull(
    ctx: &Ctx,
    bus: &Connection,
    reference: String,
    options: PullOptions,
) -> crate::error::Result<(u32, OwnedObjectPath)> {
    let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    let path = job_path(id);
    let object = JobObject { id, reference: reference.clone(), standing: Mutex::default() };
    bus.object_server()
        .at(&path, object)
        .await
        .map_err(|e| crate::error::Error::Runtime(format!("putting job {id} on the bus: {e}")))?;
    ctx.jobs.lock().unwrap_or_else(|p| p.into_inner()).insert(id);
    super::introspect::flatten(ctx, bus, super::introspect::parent(path.as_str())).await;
    if let Ok(emitter) = SignalEmitter::new(bus, MANAGER_PATH) {
        let _ = Manager::job_new(&emitter, id, path.as_ref()).await;
    }
    let (ctx, bus, job) = (ctx.clone(), bus.clone(), path.clone());
    tokio::spawn(async move {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let pull = ctx.runtime.pull_image(&reference, options, Some(tx));
        tokio::pin!(pull);
        let outcome = loop {
            tokio::select! {
                outcome = &mut pull => break outcome,
                Some(report) = rx.recv() => report_progress(&bus, &job, report).await,
            }
        };
        while let Ok(report) = rx.try_recv() {
            report_progress(&bus, &job, report).await;
        }
        let (result, image, error) = match outcome {
            Ok((image, _)) => ("done", image, String::new()),
            Err(e) => ("failed", String::new(), e.message()),
        };
        ctx.jobs.lock().unwrap_or_else(|p| p.into_inner()).remove(&id);
        let _ = bus.object_server().remove::<JobObject, _>(&job).await;
        if let Ok(emitter) = SignalEmitter::new(&bus, MANAGER_PATH) {
            let _ = Manager::job_removed(&emitter, id, job.as_ref(), result, &image, &error).await;
        }
    });
    Ok((id, path))
}

async fn report_progress(bus: &Connection, job: &OwnedObjectPath, report: PullProgress) {
    let Ok(object) = bus.object_server().interface::<_, JobObject>(job).await else { return };
    let changed = object.get().await.standing.lock().unwrap_or_else(|p| p.into_inner()).take(report);
    let _ = super::emit_changes(object.signal_emitter(), "io.berth.Berth1.Job", changed).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_sums_the_blobs_heard_of() {
        let mut s = Standing::default();
        let changed = s.take(PullProgress::of("resolving", None, 0, 0));
        assert_eq!(changed.keys().collect::<Vec<_>>(), vec![&"Status"]);
        s.take(PullProgress::of("downloading", Some("sha256:a"), 50, 100));
        s.take(PullProgress::of("exists", Some("sha256:b"), 0, 100));
        assert_eq!((s.bytes(), s.progress()), ((150, 200), 0.75));
        let changed = s.take(PullProgress::of("downloading", Some("sha256:a"), 100, 100));
        assert!(changed.contains_key("Progress") && changed.contains_key("BytesDone"));
        assert_eq!(s.progress(), 1.0);
        s.take(PullProgress::of("done", None, 0, 0));
        assert_eq!((s.status.as_str(), s.progress()), ("done", 1.0));
    }
}
