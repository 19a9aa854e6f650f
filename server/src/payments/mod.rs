//! Real-money payments: the PayPal webhook's settings, signature check and event shape. The
//! route is `http::payment_routes`; crediting goes through the ledger writer like a manual
//! deposit, under the same `paypal:<transaction>` reference, so a payment is credited once
//! whichever way it arrives.

pub mod event;
pub mod settings;
pub mod signature;

pub use settings::PaymentsSettings;

/// The ledger's external reference of a PayPal transaction: `paypal:<ID>`, upper-cased, the
/// same for a manual deposit and the webhook, so each transaction is credited once.
pub fn paypal_reference(transaction_id: &str) -> String {
    format!("paypal:{}", transaction_id.trim().to_ascii_uppercase())
}
