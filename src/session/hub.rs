//! Fan-out of session events to this instance's connections. Events are never handed over in
//! memory: a writer commits them to `session_events` and wakes the hub ([`Hub::publish`]), which
//! reads what is new from the table once per session and offers each event to every
//! connection entitled to it. On PostgreSQL other instances' commits wake it too, through
//! `LISTEN sealdraw_session_events` ([`Hub::listen`]), so experts connected to different
//! instances share one session.
//!
//! Each connection has a bounded queue. A connection whose queue is full is cut off (it can
//! resume from its last event) rather than slowing the others or growing memory.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};

use tokio::sync::mpsc;

use super::{SessionRole, StoredEvent};
use crate::store::sessions::EventRow;
use crate::store::{Store, StoreError};

/// Events read from the table per round trip.
const FETCH_BATCH: i64 = 500;

pub struct Hub {
    store: Store,
    queue: usize,
    channels: std::sync::Mutex<HashMap<String, Arc<Channel>>>,
    next_id: AtomicU64,
    /// A poll of the followed sessions is running (polls never overlap).
    polling: std::sync::atomic::AtomicBool,
}

struct Channel {
    /// The newest event this instance has offered its subscribers; `None` until the first
    /// subscriber reads where the session stands.
    delivered: tokio::sync::Mutex<Option<i64>>,
    /// The same number, readable without waiting for a delivery in progress (for the poll).
    offered: std::sync::atomic::AtomicI64,
    subscribers: std::sync::Mutex<Vec<Subscriber>>,
}

struct Subscriber {
    id: u64,
    role: SessionRole,
    sender: mpsc::Sender<StoredEvent>,
    cut: Arc<AtomicU8>,
}

/// Why the hub let a connection go ([`Subscription::cut`]).
pub const NOT_CUT: u8 = 0;
/// Its queue was full: it reads too slowly.
pub const CUT_SLOW: u8 = 1;
/// Its seat was vacated: a replaced member follows the session no further.
pub const CUT_VACATED: u8 = 2;

/// A connection's place in the hub; leaving it (dropping) unsubscribes.
pub struct Subscription {
    pub events: mpsc::Receiver<StoredEvent>,
    /// Why the hub let this subscriber go, once its events end ([`CUT_SLOW`], [`CUT_VACATED`]).
    pub cut: Arc<AtomicU8>,
    hub: Arc<Hub>,
    session_id: String,
    id: u64,
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.hub.unsubscribe(&self.session_id, self.id);
    }
}

impl Hub {
    pub fn new(store: Store, queue: usize) -> Self {
        Self {
            store,
            queue: queue.max(1),
            channels: std::sync::Mutex::new(HashMap::new()),
            next_id: AtomicU64::new(1),
            polling: std::sync::atomic::AtomicBool::new(false),
        }
    }

    fn lock_channels(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<Channel>>> {
        // A panic while holding the lock leaves plain data behind; keep serving.
        self.channels
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Subscribes a connection to a session's live events, from the session's current end:
    /// the connection reads its backlog from the table itself (and drops live events it has
    /// already sent by their numbers).
    pub async fn subscribe(
        self: &Arc<Self>,
        session_id: &str,
        role: SessionRole,
    ) -> Result<Subscription, StoreError> {
        let (sender, events) = mpsc::channel(self.queue);
        let cut = Arc::new(AtomicU8::new(NOT_CUT));
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        // Joined under the map's lock, so the channel cannot be dropped as empty between
        // finding it and joining it.
        let channel = {
            let mut channels = self.lock_channels();
            let channel = channels
                .entry(session_id.to_owned())
                .or_insert_with(|| {
                    Arc::new(Channel {
                        delivered: tokio::sync::Mutex::new(None),
                        offered: std::sync::atomic::AtomicI64::new(i64::MAX),
                        subscribers: std::sync::Mutex::new(Vec::new()),
                    })
                })
                .clone();
            lock(&channel.subscribers).push(Subscriber {
                id,
                role,
                sender,
                cut: cut.clone(),
            });
            metrics::gauge!("session_connections").increment(1.0);
            channel
        };
        // Until the channel knows where the session stands it delivers nothing; what is
        // committed before this read is the connection's backlog, anything later is live.
        let mut delivered = channel.delivered.lock().await;
        if delivered.is_none() {
            let last = async {
                let mut tx = self.store.read().await?;
                let last = tx
                    .session(session_id)
                    .await?
                    .map_or(0, |row| row.next_seq - 1);
                tx.rollback().await?;
                Ok::<_, StoreError>(last)
            }
            .await;
            match last {
                Ok(last) => {
                    *delivered = Some(last);
                    channel.offered.store(last, Ordering::SeqCst);
                }
                Err(error) => {
                    drop(delivered);
                    self.unsubscribe(session_id, id);
                    return Err(error);
                }
            }
        }
        drop(delivered);
        Ok(Subscription {
            events,
            cut,
            hub: self.clone(),
            session_id: session_id.to_owned(),
            id,
        })
    }

    fn unsubscribe(&self, session_id: &str, id: u64) {
        let mut channels = self.lock_channels();
        if let Some(channel) = channels.get(session_id) {
            let mut subscribers = lock(&channel.subscribers);
            let before = subscribers.len();
            subscribers.retain(|s| s.id != id);
            if subscribers.len() < before {
                metrics::gauge!("session_connections").decrement(1.0);
            }
            if subscribers.is_empty() {
                drop(subscribers);
                channels.remove(session_id);
            }
        }
    }

    /// Offers a session's new events to its subscribers here. Cheap when nobody here follows
    /// the session. Errors are logged: the events stay in the table, and the next wake or a
    /// reconnect delivers them.
    pub async fn publish(&self, session_id: &str) {
        let Some(channel) = self.lock_channels().get(session_id).cloned() else {
            return;
        };
        if let Err(error) = self.deliver(session_id, &channel).await {
            tracing::warn!(error = %error, session = %session_id, "session events not fanned out");
        }
    }

    async fn deliver(&self, session_id: &str, channel: &Channel) -> Result<(), StoreError> {
        let mut delivered = channel.delivered.lock().await;
        let Some(mut cursor) = *delivered else {
            return Ok(());
        };
        loop {
            let mut tx = self.store.read().await?;
            let rows = tx
                .session_events_after(session_id, cursor, FETCH_BATCH)
                .await?;
            tx.rollback().await?;
            let fetched = rows.len() as i64;
            for row in rows {
                cursor = row.seq;
                // A vacated seat's member gets the event that says so, and nothing after it.
                let vacated = (row.kind == "seat_vacated")
                    .then(|| serde_json::from_str::<serde_json::Value>(&row.body).ok())
                    .flatten()
                    .and_then(|body| body["seat"].as_u64())
                    .map(|seat| SessionRole::Expert(seat as u32));
                let event = stored_event(row);
                let mut subscribers = lock(&channel.subscribers);
                subscribers.retain(|subscriber| {
                    if !subscriber.role.sees(&event.audience) {
                        return true;
                    }
                    match subscriber.sender.try_send(event.clone()) {
                        Ok(()) if vacated == Some(subscriber.role) => {
                            subscriber.cut.store(CUT_VACATED, Ordering::SeqCst);
                            metrics::gauge!("session_connections").decrement(1.0);
                            false
                        }
                        Ok(()) => true,
                        Err(mpsc::error::TrySendError::Full(_)) => {
                            subscriber.cut.store(CUT_SLOW, Ordering::SeqCst);
                            metrics::counter!("session_connections_cut_slow_total").increment(1);
                            metrics::gauge!("session_connections").decrement(1.0);
                            false
                        }
                        Err(mpsc::error::TrySendError::Closed(_)) => {
                            metrics::gauge!("session_connections").decrement(1.0);
                            false
                        }
                    }
                });
            }
            *delivered = Some(cursor);
            channel.offered.store(cursor, Ordering::SeqCst);
            if fetched < FETCH_BATCH {
                return Ok(());
            }
        }
    }

    /// Follows other instances' session events: on PostgreSQL through `LISTEN` (at once), and
    /// on every backend by a light poll every `poll` (one query for all followed sessions), which
    /// also covers notifications lost while the listener reconnects.
    pub async fn listen(
        self: Arc<Self>,
        poll: std::time::Duration,
        mut stop: tokio::sync::watch::Receiver<bool>,
    ) {
        let pool = match &self.store {
            Store::Postgres(pool, _) => Some(pool.clone()),
            Store::Sqlite(..) => None,
        };
        let mut listener: Option<sqlx::postgres::PgListener> = None;
        let mut ticker = tokio::time::interval(poll);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            if listener.is_none()
                && let Some(pool) = &pool
            {
                // A failure is retried at the next tick, not in a loop.
                listener = connect_listener(pool).await;
                if listener.is_some() {
                    self.publish_followed().await;
                }
            }
            tokio::select! {
                notification = next_notification(&mut listener) => match notification {
                    Ok(notification) => {
                        let session_id = notification
                            .payload()
                            .split(' ')
                            .next()
                            .unwrap_or_default()
                            .to_owned();
                        // Each session's delivery on its own task: a busy instance's
                        // notifications would otherwise wait for one another's reads.
                        let hub = self.clone();
                        tokio::spawn(async move { hub.publish(&session_id).await });
                    }
                    Err(error) => {
                        tracing::warn!(error = %error, "session event listener lost; reconnecting");
                        listener = None;
                    }
                },
                // The poll runs beside the listener, never in its way: a poll that finds
                // every session behind (a busy instance) would otherwise hold notifications.
                _ = ticker.tick() => {
                    if !self.polling.swap(true, Ordering::SeqCst) {
                        let hub = self.clone();
                        tokio::spawn(async move {
                            hub.publish_followed().await;
                            hub.polling.store(false, Ordering::SeqCst);
                        });
                    }
                }
                _ = stop.changed() => return,
            }
        }
    }

    /// Publishes every followed session whose newest event this instance has not offered.
    async fn publish_followed(self: &Arc<Self>) {
        let mut behind = Vec::new();
        let followed: Vec<(String, i64)> = self
            .lock_channels()
            .iter()
            .map(|(id, channel)| (id.clone(), channel.offered.load(Ordering::SeqCst)))
            .collect();
        for chunk in followed.chunks(500) {
            let ids: Vec<String> = chunk.iter().map(|(id, _)| id.clone()).collect();
            let heads = async {
                let mut tx = self.store.read().await?;
                let heads = tx.session_heads(&ids).await?;
                tx.rollback().await?;
                Ok::<_, StoreError>(heads)
            }
            .await;
            let heads = match heads {
                Ok(heads) => heads,
                Err(error) => {
                    tracing::warn!(error = %error, "cannot poll followed sessions");
                    return;
                }
            };
            let offered: HashMap<&str, i64> =
                chunk.iter().map(|(id, seq)| (id.as_str(), *seq)).collect();
            for (id, newest) in heads {
                if newest > offered.get(id.as_str()).copied().unwrap_or(0) {
                    behind.push(id);
                }
            }
        }
        let deliveries: Vec<_> = behind
            .into_iter()
            .map(|id| {
                let hub = self.clone();
                tokio::spawn(async move { hub.publish(&id).await })
            })
            .collect();
        for delivery in deliveries {
            let _ = delivery.await;
        }
    }
}

async fn connect_listener(pool: &sqlx::PgPool) -> Option<sqlx::postgres::PgListener> {
    let mut listener = match sqlx::postgres::PgListener::connect_with(pool).await {
        Ok(listener) => listener,
        Err(error) => {
            tracing::warn!(error = %error, "cannot listen for session events; retrying");
            return None;
        }
    };
    match listener.listen("sealdraw_session_events").await {
        Ok(()) => Some(listener),
        Err(error) => {
            tracing::warn!(error = %error, "cannot listen for session events; retrying");
            None
        }
    }
}

/// The next notification, or never when there is no listener (SQLite, or reconnecting).
async fn next_notification(
    listener: &mut Option<sqlx::postgres::PgListener>,
) -> Result<sqlx::postgres::PgNotification, sqlx::Error> {
    match listener {
        Some(listener) => listener.recv().await,
        None => std::future::pending().await,
    }
}

fn lock<T>(mutex: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// An event row as the frame clients receive. The body is stored as JSON text and goes out
/// as it is, so serialising an event costs one string per event, not one per connection.
pub fn stored_event(row: EventRow) -> StoredEvent {
    let kind = serde_json::Value::String(row.kind).to_string();
    let at = crate::clock::to_rfc3339(row.at);
    let frame = format!(
        "{{\"type\":\"event\",\"v\":{},\"seq\":{},\"at\":\"{}\",\"kind\":{},\"data\":{}}}",
        super::protocol::PROTOCOL_VERSION,
        row.seq,
        at,
        kind,
        row.body
    );
    StoredEvent {
        seq: row.seq,
        audience: row.audience,
        frame: frame.into(),
    }
}
