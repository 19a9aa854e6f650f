//! Real-money payments: the PayPal webhook's settings, signature check and event shape. The
//! route is `http::payment_routes`; crediting goes through the ledger writer like a manual
//! deposit, under the same `paypal:<transaction>` reference, so a payment is credited once
//! whichever way it arrives.

pub mod event;
pub mod settings;
pub mod signature;

pub use settings::PaymentsSettings;
