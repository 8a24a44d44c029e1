//! Email: templates rendered with minijinja, delivered over SMTP with lettre or written as
//! `.eml` files when no SMTP server is configured (the embedded default).
use std::path::PathBuf;

use domain::jobs::NotificationEvent;
use domain::notifications::EmailContext;
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use minijinja::{AutoEscape, Environment};

use crate::smtp::SmtpPool;

/// The built-in templates, one file per event. A file of the same name in `OMS_TEMPLATES`
/// replaces one.
const DEFAULTS: [(&str, &str); 16] = [
    ("order_confirmed", include_str!("../templates/order_confirmed.j2")),
    ("order_backordered", include_str!("../templates/order_backordered.j2")),
    ("order_expired", include_str!("../templates/order_expired.j2")),
    ("order_shipped", include_str!("../templates/order_shipped.j2")),
    ("ready_for_pickup", include_str!("../templates/ready_for_pickup.j2")),
    ("order_picked_up", include_str!("../templates/order_picked_up.j2")),
    ("order_delivered", include_str!("../templates/order_delivered.j2")),
    ("order_cancelled", include_str!("../templates/order_cancelled.j2")),
    ("order_changed", include_str!("../templates/order_changed.j2")),
    ("refund_issued", include_str!("../templates/refund_issued.j2")),
    ("order_partly_cancelled", include_str!("../templates/order_partly_cancelled.j2")),
    ("appointment_booked", include_str!("../templates/appointment_booked.j2")),
    ("appointment_reminder", include_str!("../templates/appointment_reminder.j2")),
    ("return_approved", include_str!("../templates/return_approved.j2")),
    ("return_received", include_str!("../templates/return_received.j2")),
    ("exchange_shipped", include_str!("../templates/exchange_shipped.j2")),
];

#[derive(Debug, thiserror::Error)]
pub enum EmailError {
    #[error("template {template}: {source}")]
    Template { template: String, source: minijinja::Error },
    #[error("bad address {address:?}: {source}")]
    Address { address: String, source: lettre::address::AddressError },
    #[error("building the message: {0}")]
    Build(#[from] lettre::error::Error),
    #[error("SMTP: {0}")]
    Smtp(#[from] lettre::transport::smtp::Error),
    #[error("SMTP_URL: {0}")]
    Url(String),
    #[error("connecting to the SMTP server: {0}")]
    Connect(std::io::Error),
    #[error("writing {path}: {source}")]
    File { path: PathBuf, source: std::io::Error },
}

/// A rendered email.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// The template set: built-in defaults, overridable from a directory.
pub struct Templates {
    env: Environment<'static>,
}

impl Templates {
    pub fn new(override_dir: Option<PathBuf>) -> Templates {
        let mut env = Environment::new();
        // HTML-escape everywhere by default; the subject and text blocks turn it off.
        env.set_auto_escape_callback(|_| AutoEscape::Html);
        env.set_loader(move |name| {
            if let Some(dir) = &override_dir {
                // Only plain names: a template name never walks out of the directory.
                if name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                    let path = dir.join(format!("{name}.j2"));
                    match std::fs::read_to_string(&path) {
                        Ok(source) => return Ok(Some(source)),
                        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                        Err(e) => {
                            return Err(minijinja::Error::new(
                                minijinja::ErrorKind::TemplateNotFound,
                                format!("cannot read {}: {e}", path.display()),
                            ));
                        }
                    }
                }
            }
            Ok(DEFAULTS.iter().find(|(n, _)| *n == name).map(|(_, s)| (*s).to_owned()))
        });
        Templates { env }
    }

    /// Renders the event's template with the order's context.
    pub fn render(&self, template: &str, ctx: &EmailContext) -> Result<Rendered, EmailError> {
        let err = |source| EmailError::Template { template: template.to_owned(), source };
        let tpl = self.env.get_template(template).map_err(err)?;
        let mut captured = tpl.render_captured(ctx).map_err(err)?;
        let mut block = |name: &str| captured.with_state_mut(|state| state.render_block(name)).map_err(err);
        let subject = block("subject")?.trim().replace(['\r', '\n'], " ");
        let text = block("text")?;
        let html = block("html")?;
        Ok(Rendered { subject, text, html })
    }

    /// Every built-in event has a template that renders (checked at start).
    pub fn check(&self) -> Result<(), EmailError> {
        for event in NotificationEvent::ALL {
            self.env
                .get_template(event.kind())
                .map_err(|source| EmailError::Template { template: event.kind().to_owned(), source })?;
        }
        Ok(())
    }
}

/// Where mail goes.
#[derive(Clone)]
pub enum Mailer {
    /// `smtp://`: our pool of connections with Nagle's algorithm off (see [`crate::smtp`]).
    Pooled { pool: std::sync::Arc<SmtpPool>, from: Mailbox },
    /// `smtps://`: lettre's transport and pool.
    Smtp { transport: AsyncSmtpTransport<Tokio1Executor>, from: Mailbox },
    /// One `.eml` file per email, named after the notification's id.
    Files { dir: PathBuf, from: Mailbox },
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Mailer::Pooled { pool, .. } => write!(f, "Mailer::Pooled({pool:?})"),
            Mailer::Smtp { .. } => f.write_str("Mailer::Smtp"),
            Mailer::Files { dir, .. } => write!(f, "Mailer::Files({})", dir.display()),
        }
    }
}

impl Mailer {
    /// SMTP when a URL is given (`smtp://host:port`, `smtps://…`), else files under `dir`.
    /// `connections` is how many SMTP connections are kept open for reuse: as many as emails may
    /// be sent at once, so that no send pays for a connection of its own.
    pub fn new(smtp_url: Option<&str>, dir: PathBuf, from: &str, connections: usize) -> Result<Mailer, EmailError> {
        let from: Mailbox = from.parse().map_err(|source| EmailError::Address { address: from.to_owned(), source })?;
        let timeout = std::time::Duration::from_secs(10);
        let Some(url) = smtp_url else {
            return Ok(Mailer::Files { dir, from });
        };
        if let Some(pool) = SmtpPool::for_url(url, connections, timeout)? {
            return Ok(Mailer::Pooled { pool: std::sync::Arc::new(pool), from });
        }
        Ok(Mailer::Smtp {
            transport: AsyncSmtpTransport::<Tokio1Executor>::from_url(url)?
                .timeout(Some(timeout))
                .pool_config(
                    lettre::transport::smtp::PoolConfig::new()
                        .max_size(u32::try_from(connections.max(1)).unwrap_or(u32::MAX)),
                )
                .build(),
            from,
        })
    }

    /// Sends one email. `message_id` is stable per notification, so a receiver that sees a
    /// message twice (a crash between send and record) can tell.
    pub async fn send(&self, to: &str, message_id: &str, mail: &Rendered) -> Result<(), EmailError> {
        let to_box: Mailbox = to.parse().map_err(|source| EmailError::Address { address: to.to_owned(), source })?;
        let from = match self {
            Mailer::Pooled { from, .. } | Mailer::Smtp { from, .. } | Mailer::Files { from, .. } => from.clone(),
        };
        let message = Message::builder()
            .from(from)
            .to(to_box)
            .subject(mail.subject.clone())
            .message_id(Some(format!("<{message_id}@oms>")))
            .multipart(MultiPart::alternative_plain_html(mail.text.clone(), mail.html.clone()))?;
        match self {
            Mailer::Pooled { pool, .. } => {
                pool.send(message.envelope(), &message.formatted()).await?;
            }
            Mailer::Smtp { transport, .. } => {
                transport.send(message).await?;
            }
            Mailer::Files { dir, .. } => {
                tokio::fs::create_dir_all(dir)
                    .await
                    .map_err(|source| EmailError::File { path: dir.clone(), source })?;
                let path = dir.join(format!("{message_id}.eml"));
                let tmp = dir.join(format!(".{message_id}.eml.tmp"));
                // Write then rename, so a reader never sees half a message.
                tokio::fs::write(&tmp, message.formatted())
                    .await
                    .map_err(|source| EmailError::File { path: tmp.clone(), source })?;
                tokio::fs::rename(&tmp, &path).await.map_err(|source| EmailError::File { path, source })?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::notifications::{EmailLine, EmailShipment};

    fn ctx() -> EmailContext {
        EmailContext {
            event: "order_shipped".into(),
            order_id: uuid::Uuid::nil(),
            order_number: "SO-000042".into(),
            customer_name: "Ada <Lovelace>".into(),
            customer_email: "ada@example.com".into(),
            status: "SHIPPED".into(),
            delivery_method: "SHIP".into(),
            currency: "EUR".into(),
            subtotal: "10.00 EUR".into(),
            shipping: "0 EUR".into(),
            tax: "0 EUR".into(),
            discount: "0 EUR".into(),
            total: "10.00 EUR".into(),
            lines: vec![EmailLine {
                sku: "MUG".into(),
                name: "Mug & saucer".into(),
                quantity: 2,
                cancelled: 0,
                backordered: 0,
                unit_price: "5.00 EUR".into(),
                total: "10.00 EUR".into(),
            }],
            shipments: vec![EmailShipment {
                location: "Lyon".into(),
                status: "SHIPPED".into(),
                carrier: Some("UPS".into()),
                tracking_number: Some("1Z999".into()),
                pickup_code: None,
            }],
            ship_to: None,
            carrier: Some("UPS".into()),
            tracking_number: Some("1Z999".into()),
            pickup_code: None,
            pickup_location: None,
            refund_amount: Some("5.00 EUR".into()),
            refund_owed: None,
            appointments: Vec::new(),
            return_number: Some("SO-000042-R1".into()),
            refund: Some("10.00 EUR".into()),
        }
    }

    #[test]
    fn every_default_template_renders_with_text_escaped_only_in_html() {
        let t = Templates::new(None);
        t.check().expect("templates parse");
        for event in NotificationEvent::ALL {
            let r = t.render(event.kind(), &ctx()).expect("renders");
            assert!(r.subject.contains("SO-000042"), "{}: {}", event.kind(), r.subject);
            assert!(r.text.contains("Ada <Lovelace>"), "{}", r.text);
            assert!(r.html.contains("Ada &lt;Lovelace&gt;"), "{}", r.html);
        }
        let shipped = t.render("order_shipped", &ctx()).expect("renders");
        assert!(shipped.text.contains("UPS") && shipped.text.contains("1Z999"), "{}", shipped.text);
    }

    #[test]
    fn a_template_directory_overrides_one_event() {
        let dir = std::env::temp_dir().join(format!("oms-tpl-{}", uuid::Uuid::now_v7()));
        std::fs::create_dir_all(&dir).expect("dir");
        std::fs::write(
            dir.join("order_shipped.j2"),
            "{% block subject %}Shipped!{% endblock %}{% block text %}T {{ order_number }}{% endblock %}{% block html %}<b>H</b>{% endblock %}",
        )
        .expect("write");
        let t = Templates::new(Some(dir.clone()));
        let r = t.render("order_shipped", &ctx()).expect("renders");
        assert_eq!((r.subject.as_str(), r.text.as_str()), ("Shipped!", "T SO-000042"));
        assert!(t.render("order_confirmed", &ctx()).expect("default").subject.contains("confirmed"));
        let _ = std::fs::remove_dir_all(dir);
    }
}
