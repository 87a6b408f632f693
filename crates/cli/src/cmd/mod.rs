//! One module per command.

pub(crate) mod check;
pub(crate) mod demo;
pub(crate) mod inspect;
pub(crate) mod keygen;
pub(crate) mod keys;
pub(crate) mod mint;
pub(crate) mod token;
