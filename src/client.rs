//! A small blocking varlink client: what berthctl, the benchmark and the tests
//! use to speak to berthd over its public socket.

use serde_json::{json, Value};
use std::fmt;
use std::io::{self, BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;

pub const DEFAULT_ADDRESS: &str = "unix:/run/berth/io.berth";

/// The berthd a command run by this user means: root's system berthd, an
/// ordinary user's own (its socket in their runtime directory, as the user
/// unit berth.socket puts it).
pub fn default_address() -> String {
    let runtime_dir = std::env::var_os("XDG_RUNTIME_DIR").filter(|d| !d.is_empty());
    match runtime_dir {
        Some(dir) if !nix::unistd::Uid::effective().is_root() => {
            format!("unix:{}", std::path::Path::new(&dir).join("berth/io.berth").display())
        }
        _ => DEFAULT_ADDRESS.to_string(),
    }
}

#[derive(Debug)]
pub enum ClientError {
    Io(io::Error),
    Protocol(String),
    /// The service answered with an error: its name and parameters.
    Remote {
        error: String,
        parameters: Value,
    },
}

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientError::Io(e) => write!(f, "connection: {e}"),
            ClientError::Protocol(e) => write!(f, "protocol: {e}"),
            ClientError::Remote { error, parameters } => write!(f, "{error}: {parameters}"),
        }
    }
}

impl std::error::Error for ClientError {}

impl From<io::Error> for ClientError {
    fn from(e: io::Error) -> Self {
        ClientError::Io(e)
    }
}

pub struct Client {
    reader: BufReader<UnixStream>,
    writer: UnixStream,
}

/// The path of a `unix:PATH` address (a bare path is taken as is).
pub fn socket_path(address: &str) -> &str {
    let path = address.strip_prefix("unix:").unwrap_or(address);
    path.split(';').next().unwrap_or(path)
}

impl Client {
    pub fn connect(address: &str) -> Result<Client, ClientError> {
        let stream = UnixStream::connect(socket_path(address))?;
        Ok(Client { reader: BufReader::new(stream.try_clone()?), writer: stream })
    }

    /// Give up on a reply after `timeout` (None: wait as long as it takes).
    pub fn set_timeout(&mut self, timeout: Option<std::time::Duration>) -> Result<(), ClientError> {
        Ok(self.writer.set_read_timeout(timeout)?)
    }

    /// One call, one reply.
    pub fn call(&mut self, method: &str, parameters: Value) -> Result<Value, ClientError> {
        self.send(json!({ "method": method, "parameters": parameters }))?;
        self.receive().map(|(reply, _)| reply)
    }

    /// A call with `more`: `each` gets every reply until the service ends the
    /// stream or `each` returns false.
    pub fn stream(
        &mut self,
        method: &str,
        parameters: Value,
        mut each: impl FnMut(Value) -> bool,
    ) -> Result<(), ClientError> {
        self.send(json!({ "method": method, "parameters": parameters, "more": true }))?;
        loop {
            let (reply, continues) = self.receive()?;
            if !each(reply) || !continues {
                return Ok(());
            }
        }
    }

    /// A call with varlink's upgrade flag: its reply, then the connection,
    /// which now carries the call's stream, and what of the stream was
    /// read with the reply.
    pub fn upgrade(mut self, method: &str, parameters: Value) -> Result<(Value, UnixStream, Vec<u8>), ClientError> {
        self.send(json!({ "method": method, "parameters": parameters, "upgrade": true }))?;
        let (reply, _) = self.receive()?;
        let early = self.reader.buffer().to_vec();
        Ok((reply, self.writer, early))
    }

    fn send(&mut self, request: Value) -> Result<(), ClientError> {
        let mut frame = serde_json::to_vec(&request).map_err(|e| ClientError::Protocol(e.to_string()))?;
        frame.push(0);
        self.writer.write_all(&frame)?;
        Ok(())
    }

    fn receive(&mut self) -> Result<(Value, bool), ClientError> {
        let mut frame = Vec::new();
        self.reader.read_until(0, &mut frame)?;
        if frame.pop() != Some(0) {
            return Err(ClientError::Io(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the service closed the connection",
            )));
        }
        let mut reply: Value = serde_json::from_slice(&frame).map_err(|e| ClientError::Protocol(e.to_string()))?;
        let parameters = reply.get_mut("parameters").map(Value::take).unwrap_or_else(|| json!({}));
        if let Some(error) = reply.get("error").and_then(Value::as_str) {
            return Err(ClientError::Remote { error: error.to_string(), parameters });
        }
        let continues = reply.get("continues").and_then(Value::as_bool).unwrap_or(false);
        Ok((parameters, continues))
    }
}
