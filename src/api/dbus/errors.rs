//! The one mapping from runtime errors to D-Bus errors:
//! `io.berth.Berth1.Error.<Name>`, with the runtime's message, which names
//! the offending value.

use crate::error::Error;
use zbus::message::{Header, Message};
use zbus::names::ErrorName;

#[derive(Debug)]
pub struct BusError {
    name: String,
    message: String,
}

impl From<Error> for BusError {
    fn from(e: Error) -> Self {
        let name = match e {
            // The bus's own, which D-Bus clients (and busctl) know.
            Error::InteractiveAuthorizationRequired(_) => {
                "org.freedesktop.DBus.Error.InteractiveAuthorizationRequired".into()
            }
            _ => format!("io.berth.Berth1.Error.{}", e.name()),
        };
        BusError { name, message: e.message() }
    }
}

impl zbus::DBusError for BusError {
    fn create_reply(&self, call: &Header<'_>) -> zbus::Result<Message> {
        Message::error(call, self.name.as_str()).build(&self.message.as_str())
    }

    fn name(&self) -> ErrorName<'_> {
        ErrorName::try_from(self.name.as_str()).expect("error names are built from fixed parts")
    }

    fn description(&self) -> Option<&str> {
        Some(&self.message)
    }
}

pub type Result<T> = std::result::Result<T, BusError>;
