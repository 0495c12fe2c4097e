//! The host's public endpoint for paid inference: `marketplace_predict` on its own address
//! (`--market-listen`), apart from the node's RPC, with a rate limit per client address.
//!
//! The node's RPC server (sc-rpc-server) tells a method neither the caller's address nor a
//! stable connection (every HTTP request is a new connection id), so a limit there cannot tell
//! one client from another. This endpoint accepts its own connections: it knows each peer's
//! address and hands it to the method ([`ClientAddr`]), which spends one token of that
//! client's bucket ([`ClientLimits`]) before it reads anything else. A client over its
//! budget gets [`RATE_LIMITED`] with the time to wait; nothing of its request is processed.
//!
//! Clients are told apart by IP address (IPv6 by its /64 prefix, which one subscriber usually
//! holds whole). Behind a reverse proxy every request comes from the proxy's address: limit
//! per client there, or let the node listen directly. HTTP (keep-alive or not) and WebSocket
//! both work, as on the node's RPC port.

use crate::market::{ChainView, Market};
use jsonrpsee::{
    server::{serve_with_graceful_shutdown, stop_channel, Methods, Server},
    types::ErrorObjectOwned,
};
use sp_core::offchain::OffchainStorage;
use std::{
    collections::HashMap,
    net::{IpAddr, Ipv6Addr, SocketAddr},
    sync::{Arc, Mutex, PoisonError},
    time::{Duration, Instant},
};
use tower::Service;

/// JSON-RPC error code of a request refused because its client spent its budget.
pub const RATE_LIMITED: i32 = -32029;

/// Most client addresses whose budgets are tracked at once. Idle clients' buckets are full
/// and forgotten first; if every tracked client is active, a new address is refused until one
/// goes idle (a flood from many addresses cannot grow the table without bound).
pub const MAX_TRACKED_CLIENTS: usize = 100_000;

/// Most connections the endpoint keeps open at once.
pub const MAX_CONNECTIONS: u32 = 1_000;

/// Largest request body (64 rows of at most a few hundred features fit many times over).
pub const MAX_REQUEST_BYTES: u32 = 1 << 20;

/// The address of the peer a request came from, as the endpoint saw its connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientAddr(pub IpAddr);

/// One client's token bucket: tokens in thousandths, and when they were last counted.
#[derive(Clone, Copy, Debug)]
struct Bucket {
    milli_tokens: u64,
    at: Instant,
}

/// Token buckets per client address: `per_second` calls a second on average, bursts of
/// `burst`.
#[derive(Debug)]
pub struct ClientLimits {
    per_second: u64,
    burst: u64,
    buckets: Mutex<HashMap<IpAddr, Bucket>>,
    capacity: usize,
}

/// Why a client's call was not admitted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The client spent its budget; a token is back after this long.
    OverBudget(Duration),
    /// Too many other clients are active to track one more.
    TooManyClients,
}

impl ClientLimits {
    /// `per_second` calls a second per client on average (at least 1), in bursts of at most
    /// `burst` (at least 1).
    pub fn new(per_second: u32, burst: u32) -> Self {
        Self::with_capacity(per_second, burst, MAX_TRACKED_CLIENTS)
    }

    fn with_capacity(per_second: u32, burst: u32, capacity: usize) -> Self {
        Self {
            per_second: u64::from(per_second.max(1)),
            burst: u64::from(burst.max(1)),
            buckets: Mutex::new(HashMap::new()),
            capacity,
        }
    }

    /// Spends one of `client`'s tokens at `now`, or says why not.
    pub fn admit(&self, client: IpAddr, now: Instant) -> Result<(), Refusal> {
        let key = client_key(client);
        let full = self.burst.saturating_mul(1_000);
        let mut buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        if !buckets.contains_key(&key) && buckets.len() >= self.capacity {
            // Forget the clients whose buckets have refilled: they are as if never seen.
            let refill = self.refill_time();
            buckets.retain(|_, bucket| now.saturating_duration_since(bucket.at) < refill);
            if buckets.len() >= self.capacity {
                return Err(Refusal::TooManyClients);
            }
        }
        let bucket = buckets.entry(key).or_insert(Bucket { milli_tokens: full, at: now });
        let elapsed = now.saturating_duration_since(bucket.at);
        let earned =
            u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX).saturating_mul(self.per_second)
                / 1_000;
        bucket.milli_tokens = bucket.milli_tokens.saturating_add(earned).min(full);
        bucket.at = now;
        if bucket.milli_tokens < 1_000 {
            let missing = 1_000u64.saturating_sub(bucket.milli_tokens);
            let wait_micros = missing.saturating_mul(1_000).div_ceil(self.per_second);
            return Err(Refusal::OverBudget(Duration::from_micros(wait_micros)));
        }
        bucket.milli_tokens = bucket.milli_tokens.saturating_sub(1_000);
        Ok(())
    }

    /// How long an empty bucket takes to fill.
    fn refill_time(&self) -> Duration {
        Duration::from_micros(self.burst.saturating_mul(1_000_000).div_ceil(self.per_second))
    }
}

/// The key a client is limited under: its IPv4 address (also when written as an IPv4-mapped
/// IPv6 address), or the /64 prefix of its IPv6 address.
pub fn client_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(v4) => IpAddr::V4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let mut segments = v6.segments();
                for segment in segments.iter_mut().skip(4) {
                    *segment = 0;
                }
                IpAddr::V6(Ipv6Addr::from(segments))
            },
        },
    }
}

/// The error a refused client gets.
pub fn refusal_error(refusal: Refusal) -> ErrorObjectOwned {
    match refusal {
        Refusal::OverBudget(wait) => ErrorObjectOwned::owned(
            RATE_LIMITED,
            format!(
                "this client address sent more calls than this host serves it (--market-rate-limit): retry in {} ms",
                wait.as_millis().max(1)
            ),
            None::<()>,
        ),
        Refusal::TooManyClients => ErrorObjectOwned::owned(
            RATE_LIMITED,
            "this host is serving too many clients at once: retry shortly",
            None::<()>,
        ),
    }
}

/// Starts the endpoint on `addr` with `market`'s method, limited per client by `limits`
/// (none: unlimited). Binds before returning, so that a taken address fails the node's start;
/// the accept loop runs as a task of `spawn` until the node stops. Returns the bound address.
pub fn start<V, S>(
    addr: SocketAddr,
    market: Arc<Market<V, S>>,
    limits: Option<Arc<ClientLimits>>,
    spawn: &sc_service::SpawnTaskHandle,
) -> Result<SocketAddr, String>
where
    V: ChainView + 'static,
    S: OffchainStorage + 'static,
{
    let listener = std::net::TcpListener::bind(addr)
        .map_err(|e| format!("--market-listen {addr}: cannot listen there: {e}"))?;
    listener.set_nonblocking(true).map_err(|e| format!("--market-listen {addr}: {e}"))?;
    let bound = listener.local_addr().map_err(|e| format!("--market-listen {addr}: {e}"))?;
    let methods: Methods = crate::market::rpc_module(market, limits).into();
    let (stop, handle) = stop_channel();
    let builder = Server::builder()
        .max_connections(MAX_CONNECTIONS)
        .max_request_body_size(MAX_REQUEST_BYTES)
        .to_service_builder();
    spawn.spawn("market-endpoint", Some("marketplace"), async move {
        // Stops the connections when the node stops (the task is dropped with `handle`).
        let _handle = handle;
        let listener = match tokio::net::TcpListener::from_std(listener) {
            Ok(listener) => listener,
            Err(e) => {
                log::error!("the market endpoint cannot use {bound}: {e}");
                return;
            },
        };
        log::info!("💰 Paid inference (marketplace_predict) served on {bound}");
        loop {
            let (socket, peer) = tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok(accepted) => accepted,
                    Err(e) => {
                        log::debug!("market endpoint: failed to accept a connection: {e}");
                        continue;
                    },
                },
                _ = stop.clone().shutdown() => break,
            };
            let client = ClientAddr(peer.ip());
            let (methods, builder, stop_for_service) =
                (methods.clone(), builder.clone(), stop.clone());
            let service =
                tower::service_fn(move |mut request: http::Request<hyper::body::Incoming>| {
                    request.extensions_mut().insert(client);
                    let mut service =
                        builder.clone().build(methods.clone(), stop_for_service.clone());
                    async move {
                        service
                            .call(request)
                            .await
                            .map_err(|e| -> Box<dyn std::error::Error + Send + Sync> { e })
                    }
                });
            tokio::spawn(serve_with_graceful_shutdown(socket, service, stop.clone().shutdown()));
        }
    });
    Ok(bound)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    const A: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1));
    const B: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 2));

    /// Security review §16: one client cannot take a host's capacity. Each address has its
    /// own budget: a burst, then the steady rate; another address is unaffected.
    #[test]
    fn each_client_address_has_its_own_budget() {
        let limits = ClientLimits::new(10, 3);
        let t0 = Instant::now();
        for _ in 0..3 {
            assert_eq!(limits.admit(A, t0), Ok(()));
        }
        assert_eq!(limits.admit(A, t0), Err(Refusal::OverBudget(Duration::from_millis(100))));
        assert_eq!(limits.admit(B, t0), Ok(()));
        // One token back every 100 ms, never more than the burst.
        assert!(limits.admit(A, t0 + Duration::from_millis(99)).is_err());
        assert_eq!(limits.admit(A, t0 + Duration::from_millis(100)), Ok(()));
        let later = t0 + Duration::from_secs(60);
        for _ in 0..3 {
            assert_eq!(limits.admit(A, later), Ok(()));
        }
        assert!(limits.admit(A, later).is_err());
    }

    /// Rotating addresses inside one IPv6 /64 (which one subscriber holds whole) does not
    /// renew the budget; IPv4-mapped IPv6 is the IPv4 client.
    #[test]
    fn an_ipv6_prefix_is_one_client() {
        let limits = ClientLimits::new(1, 2);
        let t0 = Instant::now();
        let one: IpAddr = "2001:db8:1:2::1".parse().unwrap();
        let two: IpAddr = "2001:db8:1:2:ffff::9".parse().unwrap();
        let other: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(limits.admit(one, t0), Ok(()));
        assert_eq!(limits.admit(two, t0), Ok(()));
        assert!(limits.admit(one, t0).is_err());
        assert_eq!(limits.admit(other, t0), Ok(()));
        let mapped: IpAddr = "::ffff:192.0.2.1".parse().unwrap();
        assert_eq!(client_key(mapped), A);
    }

    /// A flood from many addresses cannot grow the table without bound: idle clients are
    /// forgotten to make room, and while every tracked client is active a new one is refused.
    #[test]
    fn the_tracked_clients_are_bounded() {
        let limits = ClientLimits::with_capacity(1, 1, 2);
        let t0 = Instant::now();
        assert_eq!(limits.admit(A, t0), Ok(()));
        assert_eq!(limits.admit(B, t0), Ok(()));
        let c = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 3));
        assert_eq!(limits.admit(c, t0), Err(Refusal::TooManyClients));
        // A's and B's buckets have refilled a second later: forgotten, and C gets a place.
        assert_eq!(limits.admit(c, t0 + Duration::from_secs(1)), Ok(()));
        assert!(limits.buckets.lock().unwrap().len() <= 2);
    }
}
