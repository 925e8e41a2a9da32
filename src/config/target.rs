//! The StarRocks endpoint of a rule, read from its `flink.starrocks.*` options.

use super::Secret;

/// Where a rule's tables land. Every piece is optional: `generate` needs none of them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StarRocksTarget {
    /// First host of `flink.starrocks.jdbc-url` (`jdbc:mysql://host:port[,host:port][/db][?..]`).
    pub fe_host: Option<String>,
    /// Its port (the FE query port, usually 9030); None if the URL has none.
    pub fe_query_port: Option<u16>,
    /// Database in the jdbc-url path, if any.
    pub jdbc_database: Option<String>,
    /// First `host:port` of `flink.starrocks.load-url` (`host:port[;host:port]`): the FE HTTP port.
    pub fe_http_host: Option<String>,
    pub fe_http_port: Option<u16>,
    /// `flink.starrocks.username`.
    pub username: Option<String>,
    /// `flink.starrocks.password`.
    pub password: Option<Secret>,
}

/// Parse `jdbc:mysql://h1:p1,h2:p2/db?x=y` → (host, port, db) of the first host.
pub(crate) fn parse_jdbc_url(url: &str) -> Result<(String, Option<u16>, Option<String>), String> {
    let url = url.trim();
    let rest = url
        .strip_prefix("jdbc:mysql://")
        .or_else(|| url.strip_prefix("jdbc:mariadb://"))
        .ok_or_else(|| {
            format!("{url:?} is not a jdbc:mysql:// URL (expected jdbc:mysql://fe-host:9030)")
        })?;
    let rest = rest.split(['?', '#']).next().unwrap_or("");
    let (hosts, db) = match rest.find('/') {
        Some(i) => (&rest[..i], Some(&rest[i + 1..])),
        None => (rest, None),
    };
    let first = hosts.split(',').next().unwrap_or("").trim();
    let (host, port) = host_port(first).map_err(|e| format!("jdbc-url {url:?}: {e}"))?;
    let db = db
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .map(str::to_string);
    Ok((host, port, db))
}

/// Parse `h1:8030;h2:8030` (optionally `http://h1:8030`) → first (host, port).
pub(crate) fn parse_load_url(url: &str) -> Result<(String, Option<u16>), String> {
    let first = url.split([';', ',']).next().unwrap_or("").trim();
    let first = first
        .strip_prefix("http://")
        .or_else(|| first.strip_prefix("https://"))
        .unwrap_or(first);
    let first = first.trim_end_matches('/');
    host_port(first).map_err(|e| format!("load-url {url:?}: {e}"))
}

fn host_port(s: &str) -> Result<(String, Option<u16>), String> {
    if s.is_empty() {
        return Err("no host".to_string());
    }
    // [v6::addr]:port
    let (host, port) = if let Some(v6) = s.strip_prefix('[') {
        let end = v6.find(']').ok_or("unclosed '[' in IPv6 address")?;
        let after = &v6[end + 1..];
        let port = match after.strip_prefix(':') {
            Some(p) => Some(p),
            None if after.is_empty() => None,
            None => return Err(format!("unexpected {after:?} after the IPv6 address")),
        };
        (v6[..end].to_string(), port)
    } else {
        match s.rsplit_once(':') {
            Some((h, p)) => (h.to_string(), Some(p)),
            None => (s.to_string(), None),
        }
    };
    if host.is_empty() {
        return Err("no host".to_string());
    }
    let port = match port {
        None => None,
        Some(p) => Some(
            p.trim()
                .parse::<u16>()
                .ok()
                .filter(|&p| p > 0)
                .ok_or_else(|| format!("port {p:?} is not a number in 1..65535"))?,
        ),
    };
    Ok((host, port))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jdbc_urls() {
        assert_eq!(
            parse_jdbc_url("jdbc:mysql://127.0.0.1:9030").unwrap(),
            ("127.0.0.1".into(), Some(9030), None)
        );
        assert_eq!(
            parse_jdbc_url("jdbc:mysql://fe1:9031,fe2:9030/demo?useSSL=false").unwrap(),
            ("fe1".into(), Some(9031), Some("demo".into()))
        );
        assert_eq!(
            parse_jdbc_url("jdbc:mysql://fe").unwrap(),
            ("fe".into(), None, None)
        );
        assert_eq!(
            parse_jdbc_url("jdbc:mysql://[::1]:9030/").unwrap(),
            ("::1".into(), Some(9030), None)
        );
        assert!(parse_jdbc_url("mysql://fe:9030")
            .unwrap_err()
            .contains("jdbc:mysql://"));
        assert!(parse_jdbc_url("jdbc:mysql://fe:port")
            .unwrap_err()
            .contains("port"));
        assert!(parse_jdbc_url("jdbc:mysql://:9030")
            .unwrap_err()
            .contains("no host"));
    }

    #[test]
    fn load_urls() {
        assert_eq!(
            parse_load_url("127.0.0.1:8030").unwrap(),
            ("127.0.0.1".into(), Some(8030))
        );
        assert_eq!(
            parse_load_url(" fe1:8031;fe2:8030").unwrap(),
            ("fe1".into(), Some(8031))
        );
        assert_eq!(
            parse_load_url("http://fe:8030/").unwrap(),
            ("fe".into(), Some(8030))
        );
        assert!(parse_load_url("fe:99999").is_err());
        assert!(parse_load_url("").is_err());
    }
}
