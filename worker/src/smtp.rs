//! SMTP connections with Nagle's algorithm off, kept for reuse.
//!
//! lettre 0.11.23 writes a message's body and then its closing `\r\n.\r\n` as two writes on a
//! socket with Nagle's algorithm on: the second waits for the server to acknowledge the first,
//! and a server delays that acknowledgement by 40 ms on Linux. Every email would wait 40 ms, so
//! one connection sends at most about 25 a second (lettre pull request #1159 fixes it upstream;
//! no release has it yet). The connections made here set `TCP_NODELAY`, then speak SMTP with
//! lettre's own connection type: EHLO, STARTTLS when the URL asks for it, AUTH with the URL's
//! credentials. `smtps://` (TLS from the first byte) stays with lettre's transport.
use std::sync::Mutex;
use std::time::{Duration, Instant};

use lettre::address::Envelope;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{AsyncSmtpConnection, TlsParameters};
use lettre::transport::smtp::extension::ClientId;

use crate::email::EmailError;

/// A connection unused for this long is asked whether it is still there before it is reused
/// (servers close idle sessions, after 5 minutes for Postfix).
const CHECK_AFTER_IDLE: Duration = Duration::from_secs(10);
/// A connection unused for this long is closed rather than reused.
const CLOSE_AFTER_IDLE: Duration = Duration::from_secs(60);

/// Whether a connection upgrades with STARTTLS, as lettre reads the URL's `tls` parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Starttls {
    Never,
    Opportunistic,
    Required,
}

/// Where and how to connect, read from an `smtp://` URL.
#[derive(Debug, Clone)]
struct Server {
    host: String,
    port: u16,
    starttls: Starttls,
    credentials: Option<(String, String)>,
    hello: ClientId,
}

/// A pool of SMTP connections to one server.
pub struct SmtpPool {
    server: Server,
    timeout: Duration,
    /// At most this many idle connections are kept.
    keep: usize,
    idle: Mutex<Vec<(AsyncSmtpConnection, Instant)>>,
}

impl std::fmt::Debug for SmtpPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SmtpPool({}:{})", self.server.host, self.server.port)
    }
}

impl SmtpPool {
    /// A pool for an `smtp://[user:password@]host[:port][/hello-name][?tls=required|opportunistic]`
    /// URL, read as lettre reads it; `None` for any other scheme.
    pub fn for_url(url: &str, keep: usize, timeout: Duration) -> Result<Option<SmtpPool>, EmailError> {
        let bad = EmailError::Url;
        let parsed = url::Url::parse(url).map_err(|e| bad(format!("{url:?} is not a URL: {e}")))?;
        if parsed.scheme() != "smtp" {
            return Ok(None);
        }
        let host = parsed.host_str().ok_or_else(|| bad(format!("{url:?} names no host")))?.to_owned();
        let tls = parsed.query_pairs().find(|(k, _)| k == "tls").map(|(_, v)| v.into_owned());
        let (starttls, default_port) = match tls.as_deref() {
            None => (Starttls::Never, 25),
            Some("required") => (Starttls::Required, 587),
            Some("opportunistic") => (Starttls::Opportunistic, 587),
            Some(other) => return Err(bad(format!("unknown tls={other:?} (required or opportunistic)"))),
        };
        let decode = |s: &str| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8()
                .map(|c| c.into_owned())
                .map_err(|e| bad(format!("the URL's credentials are not UTF-8: {e}")))
        };
        let credentials = match parsed.password() {
            Some(password) => Some((decode(parsed.username())?, decode(password)?)),
            None => None,
        };
        let name = parsed.path().trim_matches('/');
        let hello = if name.is_empty() { ClientId::default() } else { ClientId::Domain(name.to_owned()) };
        let server = Server { host, port: parsed.port().unwrap_or(default_port), starttls, credentials, hello };
        Ok(Some(SmtpPool { server, timeout, keep: keep.max(1), idle: Mutex::new(Vec::new()) }))
    }

    /// Sends one message: on an idle connection when there is a live one, else on a new one. The
    /// connection goes back to the pool only after a complete exchange.
    pub async fn send(&self, envelope: &Envelope, message: &[u8]) -> Result<(), EmailError> {
        let mut conn = match self.reusable().await {
            Some(conn) => conn,
            None => self.connect().await?,
        };
        match conn.send(envelope, message).await {
            Ok(_) => {
                self.give_back(conn);
                Ok(())
            }
            Err(e) => {
                conn.abort().await;
                Err(e.into())
            }
        }
    }

    /// The most recently used idle connection that is still there, if any.
    async fn reusable(&self) -> Option<AsyncSmtpConnection> {
        loop {
            let (mut conn, since) = self.idle.lock().ok()?.pop()?;
            let idle = since.elapsed();
            if conn.has_broken() || idle > CLOSE_AFTER_IDLE {
                conn.abort().await;
                continue;
            }
            if idle > CHECK_AFTER_IDLE && !conn.test_connected().await {
                conn.abort().await;
                continue;
            }
            return Some(conn);
        }
    }

    fn give_back(&self, conn: AsyncSmtpConnection) {
        if conn.has_broken() {
            return;
        }
        if let Ok(mut idle) = self.idle.lock()
            && idle.len() < self.keep
        {
            idle.push((conn, Instant::now()));
        }
    }

    async fn connect(&self) -> Result<AsyncSmtpConnection, EmailError> {
        let s = &self.server;
        let tcp = tokio::time::timeout(self.timeout, tokio::net::TcpStream::connect((s.host.as_str(), s.port)))
            .await
            .map_err(|_| {
                EmailError::Connect(std::io::Error::new(std::io::ErrorKind::TimedOut, "connecting timed out"))
            })?
            .map_err(EmailError::Connect)?;
        tcp.set_nodelay(true).map_err(EmailError::Connect)?;
        let mut conn =
            tokio::time::timeout(self.timeout, AsyncSmtpConnection::connect_with_transport(Box::new(tcp), &s.hello))
                .await
                .map_err(|_| {
                    EmailError::Connect(std::io::Error::new(std::io::ErrorKind::TimedOut, "the greeting timed out"))
                })??;
        let upgrade = match s.starttls {
            Starttls::Never => false,
            Starttls::Opportunistic => conn.can_starttls(),
            Starttls::Required => true,
        };
        if upgrade {
            let parameters = TlsParameters::new(s.host.clone())?;
            conn.starttls(parameters, &s.hello).await?;
        }
        if let Some((user, password)) = &s.credentials {
            let credentials = Credentials::new(user.clone(), password.clone());
            conn.auth(&[Mechanism::Plain, Mechanism::Login], &credentials).await?;
        }
        Ok(conn)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server(url: &str) -> Server {
        SmtpPool::for_url(url, 4, Duration::from_secs(1)).expect("a usable URL").expect("an smtp:// URL").server
    }

    #[test]
    fn an_smtp_url_reads_as_lettre_reads_it() {
        let plain = server("smtp://mail.example");
        assert_eq!((plain.host.as_str(), plain.port, plain.starttls), ("mail.example", 25, Starttls::Never));
        assert!(plain.credentials.is_none());

        let full = server("smtp://ada%40shop:p%2Fw@relay.example:2525/oms.example?tls=required");
        assert_eq!((full.host.as_str(), full.port, full.starttls), ("relay.example", 2525, Starttls::Required));
        assert_eq!(full.credentials, Some(("ada@shop".to_owned(), "p/w".to_owned())));
        assert_eq!(full.hello, ClientId::Domain("oms.example".to_owned()));

        let submission = server("smtp://relay.example?tls=opportunistic");
        assert_eq!((submission.port, submission.starttls), (587, Starttls::Opportunistic));
    }

    #[test]
    fn smtps_is_left_to_lettre_and_a_bad_url_is_refused() {
        assert!(SmtpPool::for_url("smtps://relay.example", 4, Duration::from_secs(1)).expect("usable").is_none());
        assert!(matches!(
            SmtpPool::for_url("smtp://relay.example?tls=sometimes", 4, Duration::from_secs(1)),
            Err(EmailError::Url(_))
        ));
        assert!(matches!(SmtpPool::for_url("not a url", 4, Duration::from_secs(1)), Err(EmailError::Url(_))));
    }
}
