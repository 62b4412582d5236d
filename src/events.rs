//! Events: every change the engine makes, fanned out to subscribers
//! (`io.berth.System.Events`) and written to the log.

use crate::error::Result;
use crate::model::filter::{any_of, FilterSet, LabelFilter};
use std::cell::Cell;
use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};
use tokio::sync::broadcast;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventType {
    Container,
    Pod,
    Volume,
    Image,
    Secret,
    Network,
    System,
}

/// Write the event to the journal, or where tracing writes without one.
fn log(event: &Event) {
    if crate::systemd::journal::available() {
        crate::systemd::journal::send_event(event);
    } else {
        tracing::info!(
            berth_event = event.action.as_str(),
            kind = event.kind.as_str(),
            id = event.id.as_str(),
            name = event.name.as_str(),
            "event"
        );
    }
}

impl EventType {
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::Container => "container",
            EventType::Pod => "pod",
            EventType::Volume => "volume",
            EventType::Image => "image",
            EventType::Secret => "secret",
            EventType::Network => "network",
            EventType::System => "system",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// Unix nanoseconds.
    pub time_nanos: i64,
    pub kind: EventType,
    pub action: String,
    pub id: String,
    pub name: String,
    pub attributes: BTreeMap<String, String>,
}

impl Event {
    pub fn new(kind: EventType, action: &str, id: &str, name: &str) -> Self {
        Event {
            time_nanos: now_nanos(),
            kind,
            action: action.to_string(),
            id: id.to_string(),
            name: name.to_string(),
            attributes: BTreeMap::new(),
        }
    }

    pub fn with(mut self, key: &str, value: impl Into<String>) -> Self {
        self.attributes.insert(key.to_string(), value.into());
        self
    }

    pub fn with_labels(mut self, labels: &BTreeMap<String, String>) -> Self {
        self.attributes.extend(labels.iter().map(|(k, v)| (k.clone(), v.clone())));
        self
    }

    /// A container event with what podman's carry on every one: the image,
    /// the pod (`pod_id`) and the container's labels.
    pub fn for_container(action: &str, c: &crate::model::container::ContainerConfig) -> Self {
        let mut event = Event::new(EventType::Container, action, &c.id, &c.name)
            .with("image", c.image.clone().unwrap_or_default())
            .with_labels(&c.labels);
        if let Some(pod) = &c.pod {
            event = event.with("pod_id", pod.clone());
        }
        event
    }
}

/// Whether a time filter's value is a duration (`10m`) rather than a time.
fn is_duration(value: &str) -> bool {
    value.parse::<i64>().is_err()
}

pub fn now_nanos() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos() as i64).unwrap_or(0)
}

/// How many past events are kept for subscribers that ask for them (`since`).
const HISTORY: usize = 4096;

/// The fan-out point. Slow subscribers lose the oldest events, never block
/// writers. The latest events are also kept, so that a subscriber can start
/// from a point in the past and miss nothing between that and now.
#[derive(Clone)]
pub struct EventBus {
    tx: broadcast::Sender<Arc<Event>>,
    // A std Mutex: held to publish or copy, never across an await.
    published: Arc<Mutex<Published>>,
}

#[derive(Default)]
struct Published {
    history: VecDeque<Arc<Event>>,
    /// Emitted on a thread that holds its events (see `EventBus::hold`),
    /// not yet published; whoever publishes next publishes these first, so
    /// subscribers see events in the order they were emitted.
    held: Vec<Event>,
    /// How many events have been sent, for a subscriber that must know
    /// when it has seen all of them up to a point (`sent`).
    sent: u64,
}

thread_local! {
    /// The bus (its address; 0 for none) whose events emitted on this
    /// thread wait for its `Hold` to end.
    static HOLDING: Cell<usize> = const { Cell::new(0) };
}

/// While alive, events emitted on this thread are published when it drops
/// (or sooner: see `EventBus::hold`).
pub struct Hold<'a>(&'a EventBus);

impl Drop for Hold<'_> {
    fn drop(&mut self) {
        HOLDING.with(|h| h.set(0));
        self.0.publish(None);
    }
}

impl EventBus {
    pub fn new() -> Self {
        EventBus { tx: broadcast::channel(crate::fault::event_backlog()).0, published: Default::default() }
    }

    /// Hold the events this thread emits until the returned guard drops: a
    /// varlink call's answer goes out first, and the journal entry and the
    /// waking of subscribers (the D-Bus objects among them), tens of
    /// microseconds, are no longer part of what the caller waits for. Any
    /// publishing meanwhile, from any thread, publishes them first; and a
    /// holding thread that subscribes stops holding, so a call that waits
    /// for events sees its own.
    pub fn hold(&self) -> Hold<'_> {
        HOLDING.with(|h| h.set(self.address()));
        Hold(self)
    }

    /// What tells this bus from another in `HOLDING`.
    fn address(&self) -> usize {
        Arc::as_ptr(&self.published) as usize
    }

    pub fn emit(&self, event: Event) {
        if HOLDING.with(Cell::get) == self.address() {
            self.lock().held.push(event);
        } else {
            self.publish(Some(event));
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Published> {
        self.published.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Publish what is held, then `event`: log each, keep it, send it. All
    /// under the lock, so that the journal, the history and subscribers see
    /// one order, and `subscribe_since` sees each event once.
    fn publish(&self, event: Option<Event>) {
        let mut published = self.lock();
        let held = std::mem::take(&mut published.held);
        for event in held.into_iter().chain(event) {
            log(&event);
            let event = Arc::new(event);
            if published.history.len() == HISTORY {
                published.history.pop_front();
            }
            published.history.push_back(event.clone());
            published.sent += 1;
            let _ = self.tx.send(event);
        }
    }

    /// Stop holding this thread's events, publishing what is held.
    fn release(&self) {
        if HOLDING.with(Cell::get) == self.address() {
            HOLDING.with(|h| h.set(0));
            self.publish(None);
        }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Event>> {
        self.release();
        self.tx.subscribe()
    }

    /// How many events have been sent so far.
    pub fn sent(&self) -> u64 {
        self.lock().sent
    }

    /// A receiver, and how many events were sent before its first: a
    /// subscriber that counts what it receives (and loses) knows from
    /// this when it is as far as `sent` was at any moment.
    pub fn subscribe_counted(&self) -> (u64, broadcast::Receiver<Arc<Event>>) {
        self.release();
        let published = self.lock();
        (published.sent, self.tx.subscribe())
    }

    /// The kept events from `since_nanos` on, and a receiver for the ones
    /// after them: together, every event from that point, none twice.
    pub fn subscribe_since(&self, since_nanos: i64) -> (Vec<Arc<Event>>, broadcast::Receiver<Arc<Event>>) {
        self.release();
        let published = self.lock();
        let past = published.history.iter().filter(|e| e.time_nanos >= since_nanos).cloned().collect();
        (past, self.tx.subscribe())
    }

    /// A subscription for `filters`: the kept events it asks for (with
    /// `since`) that match, then the receiver of what comes next.
    /// The kept events `filters` match (from `since`; with `all_kept`, from
    /// the oldest kept when no since is given), and a receiver for what
    /// follows them.
    pub fn subscribe_filtered(
        &self,
        filters: &EventFilters,
        all_kept: bool,
    ) -> (Vec<Arc<Event>>, broadcast::Receiver<Arc<Event>>) {
        match filters.since.or(all_kept.then_some(0)) {
            Some(since) => {
                let (past, rx) = self.subscribe_since(since);
                (past.into_iter().filter(|e| filters.matches(e)).collect(), rx)
            }
            None => (Vec::new(), self.subscribe()),
        }
    }
}

impl Default for EventBus {
    fn default() -> Self {
        Self::new()
    }
}

/// Event filters: type, action (or event), id (prefix), name, container, pod,
/// volume (each an ID prefix or a name of that type), label, and since (Unix
/// seconds or a duration ago) to begin with kept past events.
#[derive(Debug, Default)]
pub struct EventFilters {
    /// Unix nanoseconds: replay kept events from then on.
    pub since: Option<i64>,
    /// Unix nanoseconds: no event after then; a stream ends then.
    pub until: Option<i64>,
    types: Vec<String>,
    actions: Vec<String>,
    objects: Vec<(Option<EventType>, String)>,
    labels: Vec<LabelFilter>,
}

impl EventFilters {
    pub const KEYS: &'static [&'static str] =
        &["type", "action", "event", "status", "id", "name", "container", "pod", "volume", "label", "since", "until"];

    pub fn parse(filters: &[String]) -> Result<Self> {
        let f = FilterSet::parse(filters, "event", Self::KEYS)?;
        let objects = [("id", None), ("name", None)]
            .into_iter()
            .chain(
                [("container", EventType::Container), ("pod", EventType::Pod), ("volume", EventType::Volume)]
                    .map(|(k, t)| (k, Some(t))),
            )
            .flat_map(|(key, kind)| f.values(key).map(move |v| (kind, v.to_owned())).collect::<Vec<_>>())
            .collect();
        let now = now_nanos();
        // A duration ahead for until, as podman reads it: until=10s is ten
        // seconds from now (since=10s is ten seconds ago).
        let until =
            f.time("until", now)?.map(|t| if t < now && f.values("until").any(is_duration) { 2 * now - t } else { t });
        Ok(EventFilters {
            since: f.time("since", now)?,
            until,
            types: f.strings("type"),
            actions: f.values("action").chain(f.values("event")).chain(f.values("status")).map(str::to_owned).collect(),
            objects,
            labels: f.labels("label"),
        })
    }

    pub fn matches(&self, e: &Event) -> bool {
        self.until.is_none_or(|u| e.time_nanos <= u)
            && any_of(&self.types, |t| t == e.kind.as_str())
            && any_of(&self.actions, |a| *a == e.action)
            && any_of(&self.objects, |(kind, v)| {
                kind.is_none_or(|k| k == e.kind) && (e.name == *v || (!v.is_empty() && e.id.starts_with(v.as_str())))
            })
            && self.labels.iter().all(|l| l.matches(&e.attributes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_replays_kept_events_once() {
        let bus = EventBus::new();
        bus.emit(Event::new(EventType::Container, "create", "a", "a"));
        let cut = now_nanos();
        bus.emit(Event::new(EventType::Container, "create", "b", "b"));
        let (past, mut rx) = bus.subscribe_since(cut);
        assert_eq!(past.iter().map(|e| e.id.as_str()).collect::<Vec<_>>(), ["b"]);
        bus.emit(Event::new(EventType::Container, "create", "c", "c"));
        assert_eq!(rx.try_recv().unwrap().id, "c");
        assert!(rx.try_recv().is_err());
        let f = EventFilters::parse(&["since=10m".into()]).unwrap();
        assert!(f.since.unwrap() < cut);
    }

    /// Held events wait for their guard, unless another thread publishes
    /// first (then they go first: one order for everyone), or the holding
    /// thread subscribes.
    #[test]
    fn held_events_keep_their_order() {
        let bus = EventBus::new();
        let mut rx = bus.subscribe();
        let ids = |rx: &mut broadcast::Receiver<Arc<Event>>| {
            std::iter::from_fn(|| rx.try_recv().ok()).map(|e| e.id.clone()).collect::<Vec<_>>()
        };
        let emit = |id: &str| bus.emit(Event::new(EventType::Container, "create", id, id));
        {
            let _held = bus.hold();
            emit("a");
            emit("b");
            assert!(ids(&mut rx).is_empty());
        }
        assert_eq!(ids(&mut rx), ["a", "b"]);
        {
            let _held = bus.hold();
            emit("c");
            std::thread::scope(|s| {
                s.spawn(|| emit("d"));
            });
            assert_eq!(ids(&mut rx), ["c", "d"]);
            emit("e");
            let mut own = bus.subscribe();
            assert_eq!(ids(&mut rx), ["e"]);
            emit("f");
            assert_eq!(ids(&mut own), ["f"]);
        }
        assert_eq!(ids(&mut rx), ["f"]);
        // Another bus on a holding thread is not held.
        let other = EventBus::new();
        let mut other_rx = other.subscribe();
        {
            let _held = bus.hold();
            other.emit(Event::new(EventType::Container, "create", "g", "g"));
            assert_eq!(ids(&mut other_rx), ["g"]);
        }
        let (past, _) = bus.subscribe_since(0);
        assert_eq!(past.iter().map(|e| e.id.as_str()).collect::<Vec<_>>(), ["a", "b", "c", "d", "e", "f"]);
    }

    #[test]
    fn event_filters() {
        let e = Event::new(EventType::Container, "create", "abcdef", "web").with("app", "x");
        let f = |s: &[&str]| EventFilters::parse(&s.iter().map(|x| x.to_string()).collect::<Vec<_>>()).unwrap();
        assert!(f(&[]).matches(&e));
        assert!(f(&["type=container", "event=create", "container=web", "label=app=x"]).matches(&e));
        assert!(f(&["id=abc"]).matches(&e));
        assert!(!f(&["pod=web"]).matches(&e));
        assert!(!f(&["action=remove"]).matches(&e));
        assert!(EventFilters::parse(&["colour=red".into()]).is_err());
    }
}
