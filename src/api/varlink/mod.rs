//! The varlink transport. berthd serves every interface in interfaces/*.varlink
//! (plus `org.varlink.service`) on one unix socket. The `varlink` crate's
//! generated code decodes and dispatches; this module owns the connection
//! loop so that protocol errors never cost a client its connection:
//! a frame is read up to its NUL, parameters are checked against the
//! interface definition (InvalidParameter names the field), and only then
//! does the call reach an adapter. Each connection has its own thread; the
//! adapters block on the tokio runtime for the one `Runtime` call they make.

pub(crate) mod container;
mod errors;
mod image;
mod network;
pub(crate) mod pod;
mod secret;
mod storage;
mod system;
mod volume;

pub use errors::error_reply;

use super::activity::Activity;
use super::schema::{Schema, Verdict};
use crate::error::{Error, Result};
use crate::runtime::{Caller, Runtime};
use serde_json::{json, Value};
use std::cell::Cell;
use std::collections::HashMap;
use std::io::{self, BufRead, BufReader, Write};
use std::os::fd::{AsFd, AsRawFd, RawFd};
use std::os::unix::net::{UnixListener, UnixStream};
use std::sync::Arc;
use std::time::Duration;
use varlink::{Call, CallTrait, Interface, Request, VarlinkService};

/// Code generated from interfaces/*.varlink by build.rs.
#[allow(non_camel_case_types, non_snake_case, dead_code, unused_imports, clippy::all)]
pub mod generated {
    pub mod container {
        include!(concat!(env!("OUT_DIR"), "/io.berth.Container.rs"));
    }
    pub mod pod {
        include!(concat!(env!("OUT_DIR"), "/io.berth.Pod.rs"));
    }
    pub mod network {
        include!(concat!(env!("OUT_DIR"), "/io.berth.Network.rs"));
    }
    pub mod volume {
        include!(concat!(env!("OUT_DIR"), "/io.berth.Volume.rs"));
    }
    pub mod system {
        include!(concat!(env!("OUT_DIR"), "/io.berth.System.rs"));
    }
    pub mod image {
        include!(concat!(env!("OUT_DIR"), "/io.berth.Image.rs"));
    }
    pub mod storage {
        include!(concat!(env!("OUT_DIR"), "/io.berth.Storage.rs"));
    }
    pub mod secret {
        include!(concat!(env!("OUT_DIR"), "/io.berth.Secret.rs"));
    }
}

/// The largest request berthd reads; a longer frame closes the connection.
const MAX_FRAME: usize = 8 << 20;
/// systemd's parameter that lets a call wait for polkit to ask the
/// caller's user (any method that may need authorization takes it).
const ALLOW_INTERACTIVE: &str = "allowInteractiveAuthentication";
/// Connections served at once; more are closed at accept.
const MAX_CONNECTIONS: usize = 1024;
/// What all connections' requests together may hold, read or being read
/// (without it, 1,024 clients could each hold an 8 MiB frame); a request
/// that would go over closes its connection, as an oversized one does.
const MAX_FRAMES_TOTAL: usize = 64 << 20;
/// A connection's read buffer is given back once a request larger than this is done.
const KEPT_FRAME_CAPACITY: usize = 64 << 10;

/// Bytes of requests held by all connections together.
#[derive(Default)]
struct FrameBudget(std::sync::atomic::AtomicUsize);

/// One request's share of the budget, given back when dropped.
struct Held<'a> {
    budget: &'a FrameBudget,
    bytes: usize,
}

impl Held<'_> {
    /// Count `n` more bytes, unless the budget would be exceeded.
    fn take(&mut self, n: usize) -> bool {
        use std::sync::atomic::Ordering;
        let total = &self.budget.0;
        if total.fetch_add(n, Ordering::SeqCst) + n > MAX_FRAMES_TOTAL {
            total.fetch_sub(n, Ordering::SeqCst);
            return false;
        }
        self.bytes += n;
        true
    }
}

impl Drop for Held<'_> {
    fn drop(&mut self) {
        self.budget.0.fetch_sub(self.bytes, std::sync::atomic::Ordering::SeqCst);
    }
}

impl FrameBudget {
    /// Read one NUL-terminated request into `frame` (without the NUL);
    /// None at the end of the stream, or when the request is larger than
    /// MAX_FRAME or than what is left of the budget.
    fn read_frame(&self, reader: &mut impl BufRead, frame: &mut Vec<u8>) -> io::Result<Option<Held<'_>>> {
        let mut held = Held { budget: self, bytes: 0 };
        if frame.capacity() > KEPT_FRAME_CAPACITY {
            *frame = Vec::new();
        }
        frame.clear();
        loop {
            let buf = reader.fill_buf()?;
            if buf.is_empty() {
                return Ok(None);
            }
            let end = buf.iter().position(|b| *b == 0);
            let n = end.map_or(buf.len(), |i| i + 1);
            if frame.len() + n > MAX_FRAME + 1 || !held.take(n) {
                return Ok(None);
            }
            if frame.len() + n > KEPT_FRAME_CAPACITY && frame.capacity() <= MAX_FRAME {
                // Room for the largest frame at once: a block that size is
                // past the allocator's mmap threshold (berthd's main), so it
                // takes pages only as they are written and gives them back
                // to the system when freed, where a heap block grown by
                // doubling would stay with berthd.
                frame.reserve_exact(MAX_FRAME + 1 - frame.len());
            }
            frame.extend_from_slice(&buf[..n]);
            reader.consume(n);
            if end.is_some() {
                frame.pop();
                return Ok(Some(held));
            }
        }
    }
}

/// The stream an upgraded call carries on its connection from its reply
/// on, given the connection and what the client sent after its request.
pub(crate) type Upgraded = Box<dyn FnOnce(UnixStream, Vec<u8>) + Send>;

/// A method called with varlink's upgrade flag: it answers, and on
/// success hands back the stream that follows its reply.
type UpgradeHandler = fn(&Ctx, &mut Call, Value) -> varlink::Result<Option<Upgraded>>;

/// The methods whose calls with upgrade carry a stream.
fn upgrade_handler(method: &str) -> Option<UpgradeHandler> {
    match method {
        "io.berth.Container.Attach" => Some(container::attach_upgraded),
        "io.berth.Container.ExecStart" => Some(container::exec_start_upgraded),
        _ => None,
    }
}

/// What an adapter needs: the runtime and a way to wait for it.
#[derive(Clone)]
pub(crate) struct Ctx {
    runtime: Arc<Runtime>,
    tokio: tokio::runtime::Handle,
}

/// What a streamed call's work does when its client hangs up.
#[derive(Clone, Copy, PartialEq)]
enum Hangup {
    /// Stop it: nobody waits for it (a Wait).
    Abort,
    /// Let it finish: its result outlives the call (a Pull).
    Finish,
}

impl Ctx {
    fn run<F: std::future::Future>(&self, fut: F) -> F::Output {
        self.tokio.block_on(fut)
    }

    /// Run `work` on the runtime with a channel for its steps, sending each
    /// step as a `more` reply through `reply`; returns the work's result for
    /// the caller's last reply (sent with continues false).
    fn stream<C, S, T, Fut>(
        &self,
        call: &mut C,
        work: impl FnOnce(tokio::sync::mpsc::UnboundedSender<S>) -> Fut,
        hangup: Hangup,
        mut reply: impl FnMut(&mut C, S) -> varlink::Result<()>,
    ) -> varlink::Result<Result<T>>
    where
        C: CallTrait + ?Sized,
        S: Send + 'static,
        T: Send + 'static,
        Fut: std::future::Future<Output = Result<T>> + Send + 'static,
    {
        let (tx, mut steps) = tokio::sync::mpsc::unbounded_channel();
        let task = self.tokio.spawn(work(tx));
        call.set_continues(true);
        // The channel closes when the work ends, either way.
        while let Some(step) = self.run(steps.recv()) {
            if let Err(e) = reply(call, step) {
                if hangup == Hangup::Abort {
                    task.abort();
                }
                return Err(e);
            }
        }
        call.set_continues(false);
        Ok(self.run(task).unwrap_or_else(|e| Err(Error::Runtime(format!("a streamed call failed: {e}")))))
    }
}

/// Send the runtime's answer: `ok` on success, the mapped error otherwise.
fn answer<C, T>(
    call: &mut C,
    interface: &str,
    result: Result<T>,
    ok: impl FnOnce(&mut C, T) -> varlink::Result<()>,
) -> varlink::Result<()>
where
    C: CallTrait + ?Sized,
{
    match result {
        Ok(value) => ok(call, value),
        Err(e) => call.reply_struct(error_reply(interface, &e)),
    }
}

/// Reply with a single `object` field: `value` made into JSON once. (The
/// generated `reply` takes it as a JSON value and converts its reply
/// struct, value included, into another: a second copy of the largest
/// answers, an inspect's.)
fn reply_object<C>(call: &mut C, field: &str, value: impl serde::Serialize) -> varlink::Result<()>
where
    C: CallTrait + ?Sized,
{
    // Our types always serialize (no maps with non-string keys).
    let parameters = serde_json::Map::from_iter([(field.to_string(), serde_json::to_value(value).unwrap_or_default())]);
    call.reply_struct(varlink::Reply::parameters(Some(Value::Object(parameters))))
}

thread_local! {
    /// The client socket of the connection this thread serves, so that a
    /// long-running stream can notice the client has gone.
    static PEER: Cell<RawFd> = const { Cell::new(-1) };
}

/// Whether the client of the current connection has hung up.
pub(crate) fn peer_gone() -> bool {
    use nix::sys::socket::{recv, MsgFlags};
    let fd = PEER.with(|p| p.get());
    if fd < 0 {
        return true;
    }
    // A peek that reads 0 bytes means the client closed its end.
    let mut byte = [0u8; 1];
    match recv(fd, &mut byte, MsgFlags::MSG_PEEK | MsgFlags::MSG_DONTWAIT) {
        Ok(0) => true,
        Ok(_) | Err(nix::errno::Errno::EAGAIN) | Err(nix::errno::Errno::EINTR) => false,
        Err(_) => true,
    }
}

pub struct Server {
    service: VarlinkService,
    interfaces: HashMap<&'static str, Box<dyn Interface + Send + Sync>>,
    schema: Schema,
    activity: Arc<Activity>,
    /// Asked whether work outlives its call (a pull whose client left, an
    /// exit being cleaned up): that keeps berthd from going idle too.
    runtime: Arc<Runtime>,
    tokio: tokio::runtime::Handle,
    frames: FrameBudget,
    /// For the calls the server routes itself (an upgraded one).
    ctx: Ctx,
}

fn interfaces(ctx: &Ctx) -> Vec<Box<dyn Interface + Send + Sync>> {
    vec![
        Box::new(generated::container::new(Box::new(container::ContainerApi(ctx.clone())))),
        Box::new(generated::pod::new(Box::new(pod::PodApi(ctx.clone())))),
        Box::new(generated::volume::new(Box::new(volume::VolumeApi(ctx.clone())))),
        Box::new(generated::system::new(Box::new(system::SystemApi(ctx.clone())))),
        Box::new(generated::image::new(Box::new(image::ImageApi(ctx.clone())))),
        Box::new(generated::storage::new(Box::new(storage::StorageApi(ctx.clone())))),
        Box::new(generated::secret::new(Box::new(secret::SecretApi(ctx.clone())))),
        Box::new(generated::network::new(Box::new(network::NetworkApi(ctx.clone())))),
    ]
}

impl Server {
    pub fn new(runtime: Arc<Runtime>, activity: Arc<Activity>, tokio: tokio::runtime::Handle) -> Arc<Server> {
        let ctx = Ctx { runtime: runtime.clone(), tokio: tokio.clone() };
        // VarlinkService answers org.varlink.service (GetInfo and the exact
        // interface texts); a second set of adapters takes the calls.
        let service = VarlinkService::new(
            "berth",
            "berthd",
            env!("CARGO_PKG_VERSION"),
            "https://github.com/berth-engine/berth",
            interfaces(&ctx),
        );
        let dispatch: HashMap<_, _> = interfaces(&ctx).into_iter().map(|i| (i.get_name(), i)).collect();
        // org.varlink.service's own parameters are checked too: the stock
        // service leaves a call with a missing or mistyped one unanswered.
        let descriptions: Vec<&'static str> =
            dispatch.values().map(|i| i.get_description()).chain([service.get_description()]).collect();
        let schema = Schema::new(&descriptions).expect("the interface definitions were parsed at build time");
        Arc::new(Server {
            service,
            interfaces: dispatch,
            schema,
            activity,
            runtime,
            tokio,
            frames: FrameBudget::default(),
            ctx,
        })
    }

    /// Accept connections until `idle` passes with no client connected.
    pub fn serve(self: &Arc<Self>, listener: UnixListener, idle: Option<Duration>) -> io::Result<()> {
        use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
        listener.set_nonblocking(true)?;
        loop {
            // Wake when the idle timeout would pass, or every 500 ms to look
            // again (a connection may have ended meanwhile).
            let mut wait = Duration::from_millis(500);
            if let Some(idle) = idle {
                wait = wait.min(idle.saturating_sub(self.activity.quiet_for()) + Duration::from_millis(1));
            }
            let mut fds = [PollFd::new(listener.as_fd(), PollFlags::POLLIN)];
            let ready = match poll(&mut fds, PollTimeout::try_from(wait).unwrap_or(PollTimeout::MAX)) {
                Ok(n) => n,
                Err(nix::errno::Errno::EINTR) => 0,
                Err(e) => return Err(e.into()),
            };
            if ready > 0 {
                match listener.accept() {
                    Ok((stream, _)) => self.spawn_connection(stream),
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock || e.kind() == io::ErrorKind::Interrupted => {}
                    // Out of descriptors or an aborted handshake: back off, go on.
                    Err(e)
                        if matches!(
                            e.raw_os_error(),
                            Some(
                                nix::libc::EMFILE
                                    | nix::libc::ENFILE
                                    | nix::libc::ECONNABORTED
                                    | nix::libc::ENOBUFS
                                    | nix::libc::ENOMEM
                            )
                        ) =>
                    {
                        tracing::warn!("accept: {e}");
                        std::thread::sleep(Duration::from_millis(100));
                    }
                    Err(e) => return Err(e),
                }
                continue;
            }
            if let Some(idle) = idle {
                if self.runtime.busy() {
                    // Idle time counts from when the last work ends.
                    self.activity.touch();
                    continue;
                }
                if self.activity.active() == 0 && self.activity.quiet_for() >= idle {
                    return Ok(());
                }
            }
        }
    }

    fn spawn_connection(self: &Arc<Self>, stream: UnixStream) {
        let Some(busy) = self.activity.enter(MAX_CONNECTIONS) else {
            tracing::warn!("too many connections; closing a new one");
            return;
        };
        let server = self.clone();
        let spawned = std::thread::Builder::new().name("varlink-conn".into()).spawn(move || {
            let _busy = busy;
            if let Err(e) = server.serve_connection(stream) {
                tracing::debug!("connection closed: {e}");
            }
        });
        // On failure the closure, and with it the count, is dropped.
        if let Err(e) = spawned {
            tracing::warn!("cannot start a connection thread: {e}");
        }
    }

    fn serve_connection(&self, stream: UnixStream) -> io::Result<()> {
        stream.set_nonblocking(false)?;
        // The kernel's word on who connected; what they may change follows.
        let creds = nix::sys::socket::getsockopt(&stream, nix::sys::socket::sockopt::PeerCredentials)?;
        let caller = Caller { uid: creds.uid(), pid: creds.pid() as u32 };
        PEER.with(|p| p.set(stream.as_raw_fd()));
        let mut reader = BufReader::new(stream.try_clone()?);
        let mut writer = &stream;
        let mut frame = Vec::new();
        loop {
            // Held until the request is answered: it and what it decodes to
            // count against the budget.
            let Some(_held) = self.frames.read_frame(&mut reader, &mut frame)? else {
                // End of stream (possibly inside a frame) or too large a frame.
                return Ok(());
            };
            match serde_json::from_slice::<Request>(&frame) {
                Ok(request) => {
                    if let Some(upgraded) = self.dispatch(&mut writer, caller, request)? {
                        // What the client sent after its request belongs
                        // to the stream.
                        let early = reader.buffer().to_vec();
                        drop(reader);
                        upgraded(stream, early);
                        return Ok(());
                    }
                }
                Err(e) => {
                    let reply = varlink::Reply::error(
                        "org.varlink.service.InvalidParameter",
                        Some(json!({ "parameter": format!("request: {e}") })),
                    );
                    let request = Request::default();
                    let mut call = Call::new(&mut writer, &request);
                    call.reply_struct(reply).map_err(|e| io::Error::other(e.to_string()))?;
                }
            }
        }
    }

    /// Ok for an open read, or for a call `caller` is allowed to make.
    fn authorize(&self, caller: Caller, method: &str, interactive: bool) -> Result<(), Error> {
        match super::access::required(method) {
            None => Ok(()),
            Some(access) => self.tokio.block_on(self.runtime.authorize(caller, access, interactive)),
        }
    }

    /// Route one request. Only a failed write ends the connection; an
    /// upgraded call's stream takes it over.
    fn dispatch(&self, out: &mut dyn Write, caller: Caller, mut request: Request) -> io::Result<Option<Upgraded>> {
        if request.parameters.as_ref().is_none_or(Value::is_null) {
            request.parameters = Some(json!({}));
        }
        // systemd's parameter on any call that may need authorization:
        // taken out before the call is checked against its method.
        let allow =
            request.parameters.as_mut().and_then(Value::as_object_mut).and_then(|p| p.remove(ALLOW_INTERACTIVE));
        let interactive = allow.as_ref().is_some_and(|v| *v == Value::Bool(true));
        let mut sink = io::sink();
        let writer: &mut dyn Write = if request.oneway == Some(true) { &mut sink } else { out };
        let method = request.method.to_string();
        let mut call = Call::new(writer, &request);
        let mut upgraded = None;
        let result = match method.rsplit_once('.') {
            None => call.reply_interface_not_found(Some(method.clone())),
            // Checked first on every interface, org.varlink.service's too (an
            // unknown interface is Valid here and not found below).
            Some(_) if allow.as_ref().is_some_and(|v| !v.is_boolean()) => {
                call.reply_invalid_parameter(ALLOW_INTERACTIVE.to_string())
            }
            Some((iface, name)) => {
                match self.schema.check(iface, name, request.parameters.as_ref().unwrap_or(&Value::Null)) {
                    Verdict::InvalidParameter(p) => call.reply_invalid_parameter(p),
                    _ if iface == "org.varlink.service" => self.service.call(&mut call),
                    verdict => match self.interfaces.get(iface) {
                        None => call.reply_interface_not_found(Some(iface.to_string())),
                        // The handler says MethodNotFound.
                        Some(handler) if verdict == Verdict::UnknownMethod => handler.call(&mut call),
                        Some(handler) => match self.authorize(caller, &method, interactive) {
                            Ok(()) => {
                                // Its events are published once it has answered.
                                let _held = self.runtime.events().hold();
                                match upgrade_handler(&method).filter(|_| request.upgrade == Some(true)) {
                                    Some(upgrade) => {
                                        let parameters = request.parameters.clone().unwrap_or(Value::Null);
                                        upgrade(&self.ctx, &mut call, parameters).map(|u| upgraded = u)
                                    }
                                    None => handler.call(&mut call),
                                }
                            }
                            Err(e) => call.reply_struct(error_reply(iface, &e)),
                        },
                    },
                }
            }
        };
        match result {
            Err(e) if matches!(e.kind(), varlink::ErrorKind::Io(_)) => Err(io::Error::other(e.to_string())),
            _ => Ok(upgraded),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_are_read_within_the_budget() {
        let budget = FrameBudget::default();
        let mut frame = Vec::new();
        let mut input = io::Cursor::new(b"{\"a\":1}\0{\"b\":2}\0tail".to_vec());
        let held = budget.read_frame(&mut input, &mut frame).unwrap().unwrap();
        assert_eq!(frame, b"{\"a\":1}");
        assert_eq!(budget.0.load(std::sync::atomic::Ordering::SeqCst), 8);
        drop(held);
        assert_eq!(budget.0.load(std::sync::atomic::Ordering::SeqCst), 0);
        assert!(budget.read_frame(&mut input, &mut frame).unwrap().is_some());
        // An unfinished frame at the end of the stream is no request.
        assert!(budget.read_frame(&mut input, &mut frame).unwrap().is_none());
        assert_eq!(budget.0.load(std::sync::atomic::Ordering::SeqCst), 0);
        // A frame larger than what is left of the budget is refused.
        budget.0.store(MAX_FRAMES_TOTAL - 4, std::sync::atomic::Ordering::SeqCst);
        let mut input = io::Cursor::new(b"0123456789\0".to_vec());
        assert!(budget.read_frame(&mut input, &mut frame).unwrap().is_none());
        assert_eq!(budget.0.load(std::sync::atomic::Ordering::SeqCst), MAX_FRAMES_TOTAL - 4);
    }
}
