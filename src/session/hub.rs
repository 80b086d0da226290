//! Fan-out of session events to this instance's connections. Events are never handed over in
//! memory: a writer commits them to `session_events` and wakes the hub ([`Hub::publish`]), which
//! reads what is new from the table once per session and offers each event to every
//! connection entitled to it. Other instances' commits wake it too, where the store carries
//! them between processes (PostgreSQL's `LISTEN`, [`Hub::listen`]), so experts connected to
//! different instances share one session.
//!
//! Each connection has a queue bounded in events (`session.outbound_queue`) and in bytes
//! (`session.outbound_queue_bytes`). An event that does not fit is not queued, and neither is
//! any later one until the connection has caught up: the connection is marked
//! [`Live::Behind`] and reads what it missed from the table, as a reconnecting client would,
//! but on the same connection. So a reader that is slow for a moment (a phone between cells)
//! costs no more memory than its queue and is not cut off; what ends a connection that reads
//! nothing is the send deadline (`session.send_timeout_secs`) in `connection`.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};

use tokio::sync::{Notify, mpsc};

use super::{EventKind, SessionRole, StoredEvent};
use crate::store::sessions::{EventRow, SessionEventListener};
use crate::store::{Store, StoreError};

/// Events read from the table per round trip.
const FETCH_BATCH: i64 = 500;

pub(crate) struct Hub {
    store: Store,
    queue: usize,
    queue_bytes: usize,
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
    lane: Arc<Lane>,
}

/// What the hub and one connection share besides the queue itself.
struct Lane {
    /// Events were left out of the queue; the connection reads them from the table.
    behind: AtomicBool,
    /// Bytes of the frames waiting in the queue.
    queued_bytes: AtomicUsize,
    /// The member's seat was vacated, and the hub has let the connection go.
    vacated: AtomicBool,
    /// Wakes a connection that fell behind while its queue was empty.
    fell_behind: Notify,
}

/// What a connection does next ([`Subscription::next`]).
pub(crate) enum Live {
    /// Send this event (unless it was already sent from the table).
    Event(StoredEvent),
    /// Events were left out of the queue: send those after the last one sent from the table,
    /// then carry on with the queue.
    Behind,
    /// The member's seat was vacated, and the event that says so has been sent.
    Vacated,
    /// The hub stopped following the session.
    Ended,
}

/// A connection's place in the hub; leaving it (dropping) unsubscribes.
pub(crate) struct Subscription {
    events: mpsc::Receiver<StoredEvent>,
    lane: Arc<Lane>,
    hub: Arc<Hub>,
    session_id: String,
    id: u64,
}

impl Subscription {
    /// Waits for what the connection must do next. Cancel-safe: dropping the future loses
    /// nothing (the queue and the flag keep their state), so it can race other work.
    pub(crate) async fn next(&mut self) -> Live {
        loop {
            if self.lane.behind.swap(false, Ordering::SeqCst) {
                return Live::Behind;
            }
            tokio::select! {
                event = self.events.recv() => match event {
                    Some(event) => {
                        self.lane.queued_bytes.fetch_sub(event.frame.len(), Ordering::SeqCst);
                        return Live::Event(event);
                    }
                    // Let go: first what was left out (checked above), then the reason.
                    None if self.lane.behind.load(Ordering::SeqCst) => {}
                    None if self.lane.vacated.load(Ordering::SeqCst) => return Live::Vacated,
                    None => return Live::Ended,
                },
                // The flag, checked above, says whether anything was left out.
                () = self.lane.fell_behind.notified() => {}
            }
        }
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.hub.unsubscribe(&self.session_id, self.id);
    }
}

impl Hub {
    pub(crate) fn new(store: Store, queue: usize, queue_bytes: usize) -> Self {
        Self {
            store,
            queue: queue.max(1),
            queue_bytes,
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
    pub(crate) async fn subscribe(
        self: &Arc<Self>,
        session_id: &str,
        role: SessionRole,
    ) -> Result<Subscription, StoreError> {
        let (sender, events) = mpsc::channel(self.queue);
        let lane = Arc::new(Lane {
            behind: AtomicBool::new(false),
            queued_bytes: AtomicUsize::new(0),
            vacated: AtomicBool::new(false),
            fell_behind: Notify::new(),
        });
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
                lane: lane.clone(),
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
            lane,
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
    pub(crate) async fn publish(&self, session_id: &str) {
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
                let vacated = vacated_seat(&row).map(SessionRole::Expert);
                let event = stored_event(row);
                let mut subscribers = lock(&channel.subscribers);
                subscribers.retain(|subscriber| {
                    if !subscriber.role.sees(&event.audience) {
                        return true;
                    }
                    let vacates = vacated == Some(subscriber.role);
                    if vacates {
                        subscriber.lane.vacated.store(true, Ordering::SeqCst);
                    }
                    let gone = match self.offer(subscriber, &event) {
                        Offered::Queued => false,
                        Offered::LeftOut => {
                            if !subscriber.lane.behind.swap(true, Ordering::SeqCst) {
                                metrics::counter!("session_connections_fell_behind_total")
                                    .increment(1);
                            }
                            subscriber.lane.fell_behind.notify_one();
                            false
                        }
                        Offered::Gone => true,
                    };
                    let stays = !gone && !vacates;
                    if !stays {
                        metrics::gauge!("session_connections").decrement(1.0);
                    }
                    stays
                });
            }
            *delivered = Some(cursor);
            channel.offered.store(cursor, Ordering::SeqCst);
            if fetched < FETCH_BATCH {
                return Ok(());
            }
        }
    }

    /// Queues `event` for one subscriber if it fits: the queue has room in events and bytes
    /// (a lone event always fits), and the subscriber is not behind (it will read this event
    /// from the table with the ones it missed before it).
    fn offer(&self, subscriber: &Subscriber, event: &StoredEvent) -> Offered {
        let lane = &subscriber.lane;
        let size = event.frame.len();
        let queued = lane.queued_bytes.load(Ordering::SeqCst);
        if lane.behind.load(Ordering::SeqCst) || (queued > 0 && queued + size > self.queue_bytes) {
            return Offered::LeftOut;
        }
        lane.queued_bytes.fetch_add(size, Ordering::SeqCst);
        match subscriber.sender.try_send(event.clone()) {
            Ok(()) => Offered::Queued,
            Err(error) => {
                lane.queued_bytes.fetch_sub(size, Ordering::SeqCst);
                match error {
                    mpsc::error::TrySendError::Full(_) => Offered::LeftOut,
                    mpsc::error::TrySendError::Closed(_) => Offered::Gone,
                }
            }
        }
    }

    /// Follows other instances' session events: on PostgreSQL through `LISTEN` (at once), and
    /// on every backend by a light poll every `poll` (one query for all followed sessions), which
    /// also covers notifications lost while the listener reconnects.
    pub(crate) async fn listen(
        self: Arc<Self>,
        poll: std::time::Duration,
        mut stop: tokio::sync::watch::Receiver<bool>,
    ) {
        // Until the store says its backend has no other instances to hear (SQLite).
        let mut listens = true;
        let mut listener: Option<SessionEventListener> = None;
        let mut ticker = tokio::time::interval(poll);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            if listens && listener.is_none() {
                // A failure is retried at the next tick, not in a loop.
                match self.store.listen_session_events().await {
                    Ok(Some(connected)) => {
                        listener = Some(connected);
                        self.publish_followed().await;
                    }
                    Ok(None) => listens = false,
                    Err(error) => {
                        tracing::warn!(error = ?error, "cannot listen for session events; retrying");
                    }
                }
            }
            tokio::select! {
                woken = next_wake(&mut listener) => match woken {
                    Ok(session_id) => {
                        // Each session's delivery on its own task: a busy instance's
                        // notifications would otherwise wait for one another's reads.
                        let hub = self.clone();
                        tokio::spawn(async move { hub.publish(&session_id).await });
                    }
                    Err(error) => {
                        tracing::warn!(error = ?error, "session event listener lost; reconnecting");
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

/// The next session another instance woke, or never when there is no listener (SQLite, or
/// reconnecting).
async fn next_wake(listener: &mut Option<SessionEventListener>) -> Result<String, StoreError> {
    match listener {
        Some(listener) => listener.next().await,
        None => std::future::pending().await,
    }
}

enum Offered {
    Queued,
    /// Not queued: the connection reads it from the table.
    LeftOut,
    /// The connection has ended.
    Gone,
}

fn lock<T>(mutex: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The seat an event vacates (its `seat_vacated`), whose member receives nothing after it.
pub(crate) fn vacated_seat(row: &EventRow) -> Option<u32> {
    /// What is read of a `seat_vacated` event's data.
    #[derive(serde::Deserialize)]
    struct Vacated {
        seat: u32,
    }
    (row.kind == EventKind::SeatVacated)
        .then(|| serde_json::from_str::<Vacated>(&row.body).ok())
        .flatten()
        .map(|vacated| vacated.seat)
}

/// An event row as the frame clients receive. The body is stored as JSON text and goes out
/// as it is, so serialising an event costs one string per event, not one per connection.
pub(crate) fn stored_event(row: EventRow) -> StoredEvent {
    let kind = serde_json::Value::from(row.kind.as_str()).to_string();
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
