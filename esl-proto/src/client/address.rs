//! Where a switch listens, as the application names it.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};

/// A switch's event socket address: what `TcpStream::connect` accepts, kept as the
/// `host:port` text an adapter connects to (and reconnects to, resolving the name again) and
/// that connect errors name.
///
/// ```
/// use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
/// use esl_proto::client::Address;
///
/// assert_eq!(Address::from("fs1.example.com:8021").as_str(), "fs1.example.com:8021");
/// let socket: SocketAddr = "10.0.0.1:8021".parse().unwrap();
/// assert_eq!(Address::from(socket).as_str(), "10.0.0.1:8021");
/// assert_eq!(Address::from((Ipv6Addr::LOCALHOST, 8021)).as_str(), "[::1]:8021");
/// assert_eq!(Address::from(("::1", 8021)).as_str(), "[::1]:8021");
/// assert_eq!(Address::from(("fs1", 8021)).to_string(), "fs1:8021");
/// assert_eq!(Address::from((Ipv4Addr::LOCALHOST, 8021)).as_str(), "127.0.0.1:8021");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Address(String);

impl Address {
    /// The `host:port` text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn host_port(host: &str, port: u16) -> Address {
        // An IPv6 literal needs its brackets before the port.
        if host.contains(':') && !host.starts_with('[') {
            Address(format!("[{host}]:{port}"))
        } else {
            Address(format!("{host}:{port}"))
        }
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for Address {
    fn from(addr: &str) -> Address {
        Address(addr.to_owned())
    }
}

impl From<String> for Address {
    fn from(addr: String) -> Address {
        Address(addr)
    }
}

impl From<&String> for Address {
    fn from(addr: &String) -> Address {
        Address(addr.clone())
    }
}

impl From<&Address> for Address {
    fn from(addr: &Address) -> Address {
        addr.clone()
    }
}

impl From<SocketAddr> for Address {
    fn from(addr: SocketAddr) -> Address {
        Address(addr.to_string())
    }
}

impl From<SocketAddrV4> for Address {
    fn from(addr: SocketAddrV4) -> Address {
        Address(addr.to_string())
    }
}

impl From<SocketAddrV6> for Address {
    fn from(addr: SocketAddrV6) -> Address {
        Address(addr.to_string())
    }
}

impl From<(IpAddr, u16)> for Address {
    fn from((ip, port): (IpAddr, u16)) -> Address {
        Address::from(SocketAddr::new(ip, port))
    }
}

impl From<(Ipv4Addr, u16)> for Address {
    fn from((ip, port): (Ipv4Addr, u16)) -> Address {
        Address::from(SocketAddr::from((ip, port)))
    }
}

impl From<(Ipv6Addr, u16)> for Address {
    fn from((ip, port): (Ipv6Addr, u16)) -> Address {
        Address::from(SocketAddr::from((ip, port)))
    }
}

impl From<(&str, u16)> for Address {
    fn from((host, port): (&str, u16)) -> Address {
        Address::host_port(host, port)
    }
}

impl From<(String, u16)> for Address {
    fn from((host, port): (String, u16)) -> Address {
        Address::host_port(&host, port)
    }
}
