//! BEGIN / COMMIT / ABORT: SENDs and ACKs/NACKs named in a transaction are held here and take
//! effect at COMMIT, in order; ABORT or the end of the session discards them. Their receipts are
//! answered when the transaction ends (see `Session::end_transaction`).

use std::collections::HashMap;

use stomp_wasm::Frame;

/// Why a transaction frame was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransactionError {
    #[error("transaction {0:?} already begun")]
    AlreadyBegun(String),
    #[error("unknown transaction {0:?}")]
    Unknown(String),
    #[error("more than {0} open transactions")]
    TooMany(usize),
    #[error("transaction {0:?} holds more than {1} frames")]
    TooLarge(String, usize),
}

/// The open transactions of one session.
#[derive(Debug, Default)]
pub struct Transactions {
    open: HashMap<String, Vec<Frame>>,
    max_open: usize,
    max_frames: usize,
}

impl Transactions {
    pub fn new(max_open: usize, max_frames: usize) -> Transactions {
        Transactions {
            open: HashMap::new(),
            max_open,
            max_frames,
        }
    }

    pub fn begin(&mut self, id: &str) -> Result<(), TransactionError> {
        if self.open.contains_key(id) {
            return Err(TransactionError::AlreadyBegun(id.to_owned()));
        }
        if self.open.len() >= self.max_open {
            return Err(TransactionError::TooMany(self.max_open));
        }
        self.open.insert(id.to_owned(), Vec::new());
        Ok(())
    }

    /// Holds a SEND, ACK or NACK until COMMIT.
    pub fn hold(&mut self, id: &str, frame: Frame) -> Result<(), TransactionError> {
        let max = self.max_frames;
        let frames = self
            .open
            .get_mut(id)
            .ok_or_else(|| TransactionError::Unknown(id.to_owned()))?;
        if frames.len() >= max {
            return Err(TransactionError::TooLarge(id.to_owned(), max));
        }
        frames.push(frame);
        Ok(())
    }

    /// Ends a transaction (COMMIT or ABORT), returning its frames in order: to apply, or to
    /// answer the receipts of.
    pub fn end(&mut self, id: &str) -> Result<Vec<Frame>, TransactionError> {
        self.open
            .remove(id)
            .ok_or_else(|| TransactionError::Unknown(id.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use stomp_wasm::Command;

    #[test]
    fn lifecycle_and_limits() {
        let mut t = Transactions::new(1, 2);
        assert!(t.begin("a").is_ok());
        assert_eq!(
            t.begin("a"),
            Err(TransactionError::AlreadyBegun("a".into()))
        );
        assert_eq!(t.begin("b"), Err(TransactionError::TooMany(1)));
        assert!(t.hold("a", Frame::new(Command::Send)).is_ok());
        assert!(t.hold("a", Frame::new(Command::Ack)).is_ok());
        assert!(t.hold("a", Frame::new(Command::Send)).is_err());
        assert!(t.hold("zz", Frame::new(Command::Send)).is_err());
        assert_eq!(t.end("a").map(|v| v.len()), Ok(2));
        assert!(t.end("a").is_err());
    }
}
