//! The StarRocks endpoints of a rule, parsed once from its `flink.starrocks.*` options. The one
//! parser of `jdbc-url` and `load-url`: `apply`, `sync` and the Stream Load client take the
//! typed [`HostPort`]s from here, so a URL that passes config validation is one they can use.

use super::Secret;
use std::fmt;

/// Default user of the Flink connector and of `smt apply`/`sync` when a rule names none.
pub const DEFAULT_USER: &str = "root";

/// One `host:port` (IPv6 hosts without brackets).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct HostPort {
    pub host: String,
    pub port: u16,
}

impl HostPort {
    pub fn new(host: impl Into<String>, port: u16) -> Self {
        HostPort {
            host: host.into(),
            port,
        }
    }

    /// `host:port` or `[v6]:port`, port required (1..65535).
    pub fn parse(text: &str) -> Result<HostPort, String> {
        let s = text.trim();
        if s.is_empty() {
            return Err("no host".into());
        }
        let (host, port) = if let Some(v6) = s.strip_prefix('[') {
            let end = v6.find(']').ok_or("unclosed '[' in an IPv6 address")?;
            let port = v6[end + 1..]
                .strip_prefix(':')
                .ok_or_else(|| format!("{s:?} has no port (write [v6-address]:port)"))?;
            (v6[..end].to_string(), port)
        } else {
            let (h, p) = s
                .rsplit_once(':')
                .ok_or_else(|| format!("{s:?} has no port (write host:port)"))?;
            (h.to_string(), p)
        };
        if host.is_empty() {
            return Err(format!("{s:?} has no host"));
        }
        let port = port
            .trim()
            .parse::<u16>()
            .ok()
            .filter(|&p| p > 0)
            .ok_or_else(|| format!("port {port:?} is not a number in 1..65535"))?;
        Ok(HostPort { host, port })
    }
}

impl fmt::Display for HostPort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

/// Where a rule's tables land. `generate` needs none of it; `apply` needs `fe`, `sync` both.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StarRocksEndpoints {
    /// Hosts of `flink.starrocks.jdbc-url` (`jdbc:mysql://h1:9030[,h2:9030][/db][?..]`): the FE
    /// query (MySQL protocol) port. Empty when the rule sets none.
    pub fe: Vec<HostPort>,
    /// Database in the jdbc-url path, if any.
    pub jdbc_database: Option<String>,
    /// Hosts of `flink.starrocks.load-url` (`h1:8030[;h2:8030]`): the FE http port.
    pub http: Vec<HostPort>,
    /// `flink.starrocks.username`, None when the rule sets none ([`DEFAULT_USER`] applies).
    pub user: Option<String>,
    /// `flink.starrocks.password`, None when the rule sets none (empty applies).
    pub password: Option<Secret>,
}

impl StarRocksEndpoints {
    pub fn user_or_default(&self) -> &str {
        self.user.as_deref().unwrap_or(DEFAULT_USER)
    }
    pub fn password_or_empty(&self) -> Secret {
        self.password.clone().unwrap_or_default()
    }
    /// Whether the rule names credentials at all.
    pub fn has_credentials(&self) -> bool {
        self.user.is_some() || self.password.is_some()
    }
}

impl StarRocksEndpoints {
    /// From a rule's `flink.starrocks.*` options (prefix stripped), later keys winning; empty
    /// URL values count as absent. Problems: (option key, message).
    pub fn from_options(opts: &[(String, String)]) -> Result<Self, Vec<(String, String)>> {
        let get = |k: &str| {
            opts.iter()
                .rev()
                .find(|(kk, _)| kk == k)
                .map(|(_, v)| v.as_str())
        };
        let mut e = StarRocksEndpoints::default();
        let mut problems = Vec::new();
        if let Some(url) = get("jdbc-url").filter(|v| !v.trim().is_empty()) {
            match parse_jdbc_url(url) {
                Ok((fe, db)) => {
                    e.fe = fe;
                    e.jdbc_database = db;
                }
                Err(m) => problems.push(("jdbc-url".to_string(), m)),
            }
        }
        if let Some(url) = get("load-url").filter(|v| !v.trim().is_empty()) {
            match parse_load_url(url) {
                Ok(http) => e.http = http,
                Err(m) => problems.push(("load-url".to_string(), m)),
            }
        }
        e.user = get("username").map(str::to_string);
        e.password = get("password").map(Secret::new);
        if problems.is_empty() {
            Ok(e)
        } else {
            Err(problems)
        }
    }
}

/// What the rules of a job say about the one StarRocks cluster it talks to (`apply` and `sync`
/// connect once). Each part is an error when two rules set it differently.
#[derive(Debug, Clone)]
pub struct Cluster {
    pub fe: Result<Vec<HostPort>, String>,
    pub http: Result<Vec<HostPort>, String>,
    /// (user, password); `root` and empty when no rule names credentials.
    pub credentials: Result<(String, Secret), String>,
}

/// Merge the rules' endpoints. `rules` = (rule name, endpoints) in config order.
pub fn one_cluster<'a>(
    rules: impl IntoIterator<Item = (&'a str, &'a StarRocksEndpoints)> + Clone,
) -> Cluster {
    fn agree<'a, T: PartialEq + Clone + fmt::Display>(
        rules: impl IntoIterator<Item = (&'a str, &'a StarRocksEndpoints)>,
        get: impl Fn(&StarRocksEndpoints) -> Option<(T, Vec<HostPort>)>,
        what: &str,
        fix: &str,
    ) -> Result<Vec<HostPort>, String> {
        let mut first: Option<(&str, T, Vec<HostPort>)> = None;
        for (rule, e) in rules {
            let Some((key, all)) = get(e) else { continue };
            match &first {
                None => first = Some((rule, key, all)),
                Some((prev, have, _)) if *have != key => {
                    return Err(format!(
                    "the rules point at different StarRocks {what} ([table-rule.{prev}] {have}, \
                         [table-rule.{rule}] {key}); smt connects to one cluster: {fix}"
                ))
                }
                Some(_) => {}
            }
        }
        Ok(first.map(|(_, _, all)| all).unwrap_or_default())
    }
    let fe = agree(
        rules.clone(),
        |e| e.fe.first().map(|h| (h.clone(), e.fe.clone())),
        "FEs",
        "pass --fe host:port to choose, or make flink.starrocks.jdbc-url the same",
    );
    let http = agree(
        rules.clone(),
        |e| e.http.first().map(|h| (h.clone(), e.http.clone())),
        "http endpoints",
        "pass --load-url host:port, or make flink.starrocks.load-url the same",
    );
    let mut credentials: Result<Option<(&str, String, Secret)>, String> = Ok(None);
    for (rule, e) in rules {
        if !e.has_credentials() {
            continue;
        }
        let (user, pw) = (e.user_or_default().to_string(), e.password_or_empty());
        if let Ok(Some((prev, u, p))) = &credentials {
            if *u != user || *p != pw {
                credentials = Err(format!(
                    "the rules use different StarRocks credentials ([table-rule.{prev}] user {u:?}, \
                     [table-rule.{rule}] user {user:?}); smt connects once: make \
                     flink.starrocks.username/password the same in every rule"
                ));
                break;
            }
        } else if credentials.is_ok() {
            credentials = Ok(Some((rule, user, pw)));
        }
    }
    Cluster {
        fe,
        http,
        credentials: credentials.map(|c| {
            c.map(|(_, u, p)| (u, p))
                .unwrap_or_else(|| (DEFAULT_USER.to_string(), Secret::default()))
        }),
    }
}

/// A `--fe` / `--load-url` flag: `host:port`, or a bare host with `default_port`.
pub fn parse_flag(text: &str, default_port: u16) -> Result<HostPort, String> {
    let t = text.trim();
    let t = t.strip_prefix("http://").unwrap_or(t).trim_end_matches('/');
    // A bare host (or a bare IPv6 address): the default port.
    let bare = !t.contains(':') || (t.matches(':').count() > 1 && !t.starts_with('['));
    if !bare {
        return HostPort::parse(t);
    }
    if t.is_empty() {
        return Err("no host".to_string());
    }
    Ok(HostPort::new(t, default_port))
}

/// Parse `jdbc:mysql://h1:p1,h2:p2/db?x=y` → (hosts, database). The Flink connector's MySQL
/// driver takes only `jdbc:mysql://`, and without a port it would use 3306, not the FE's 9030:
/// both are refused here with the fix.
pub fn parse_jdbc_url(url: &str) -> Result<(Vec<HostPort>, Option<String>), String> {
    let url = url.trim();
    let Some(rest) = url.strip_prefix("jdbc:mysql://") else {
        let hint = if url.starts_with("jdbc:mariadb://") {
            " (the StarRocks Flink connector and smt speak the MySQL protocol: write jdbc:mysql://)"
        } else {
            ""
        };
        return Err(format!(
            "{url:?} is not a jdbc:mysql:// URL (expected jdbc:mysql://fe-host:9030){hint}"
        ));
    };
    let rest = rest.split(['?', '#']).next().unwrap_or("");
    let (hosts, db) = match rest.find('/') {
        Some(i) => (&rest[..i], Some(&rest[i + 1..])),
        None => (rest, None),
    };
    let list = hosts
        .split(',')
        .map(|h| {
            HostPort::parse(h)
                .map_err(|e| format!("jdbc-url {url:?}: {e} (the FE query port, usually 9030)"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let db = db
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .map(str::to_string);
    Ok((list, db))
}

/// Parse `h1:8030;h2:8030` (also `,`; an `http://` prefix and a trailing `/` are accepted) →
/// hosts. `https://` is refused: Stream Load here is plain HTTP.
pub fn parse_load_url(url: &str) -> Result<Vec<HostPort>, String> {
    let mut out = Vec::new();
    for part in url
        .split([';', ','])
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        if part.starts_with("https://") {
            return Err(format!(
                "load-url {url:?}: https is not supported (smt speaks plain HTTP to the FE http port, usually 8030)"
            ));
        }
        let hp = part.strip_prefix("http://").unwrap_or(part);
        let hp = hp.trim_end_matches('/');
        if hp.contains('/') {
            return Err(format!(
                "load-url {url:?}: {part:?} has a path; write host:port (the FE http port, usually 8030)"
            ));
        }
        out.push(
            HostPort::parse(hp)
                .map_err(|e| format!("load-url {url:?}: {e} (the FE http port, usually 8030)"))?,
        );
    }
    if out.is_empty() {
        return Err(format!("load-url {url:?}: no host:port given"));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hp(h: &str, p: u16) -> HostPort {
        HostPort::new(h, p)
    }

    #[test]
    fn jdbc_urls() {
        assert_eq!(
            parse_jdbc_url("jdbc:mysql://127.0.0.1:9030").unwrap(),
            (vec![hp("127.0.0.1", 9030)], None)
        );
        assert_eq!(
            parse_jdbc_url("jdbc:mysql://fe1:9031,fe2:9030/demo?useSSL=false").unwrap(),
            (vec![hp("fe1", 9031), hp("fe2", 9030)], Some("demo".into()))
        );
        assert_eq!(
            parse_jdbc_url("jdbc:mysql://[::1]:9030/").unwrap(),
            (vec![hp("::1", 9030)], None)
        );
        assert!(parse_jdbc_url("mysql://fe:9030")
            .unwrap_err()
            .contains("jdbc:mysql://"));
        let e = parse_jdbc_url("jdbc:mariadb://fe:9030").unwrap_err();
        assert!(e.contains("write jdbc:mysql://"), "{e}");
        assert!(parse_jdbc_url("jdbc:mysql://fe")
            .unwrap_err()
            .contains("no port"));
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
            vec![hp("127.0.0.1", 8030)]
        );
        assert_eq!(
            parse_load_url(" fe1:8031;fe2:8030").unwrap(),
            vec![hp("fe1", 8031), hp("fe2", 8030)]
        );
        assert_eq!(
            parse_load_url("http://fe:8030/").unwrap(),
            vec![hp("fe", 8030)]
        );
        assert_eq!(parse_load_url("[::1]:8030").unwrap(), vec![hp("::1", 8030)]);
        assert!(parse_load_url("fe:99999").is_err());
        assert!(parse_load_url("").is_err());
        assert!(parse_load_url("https://fe:8030")
            .unwrap_err()
            .contains("https is not supported"));
        assert!(parse_load_url("fe").unwrap_err().contains("no port"));
        assert!(parse_load_url("fe:8030/api").unwrap_err().contains("path"));
    }

    #[test]
    fn one_cluster_agrees_or_explains() {
        let e = |fe: &str, http: &str, user: Option<&str>| StarRocksEndpoints {
            fe: vec![HostPort::parse(fe).unwrap()],
            http: vec![HostPort::parse(http).unwrap()],
            user: user.map(str::to_string),
            ..Default::default()
        };
        let a = e("fe:9030", "fe:8030", Some("root"));
        let b = e("fe:9030", "fe:8030", None);
        let got = one_cluster([("1", &a), ("2", &b)]);
        assert_eq!(got.fe.unwrap(), a.fe);
        assert_eq!(got.credentials.unwrap().0, "root");
        let c = e("other:9030", "fe:8030", None);
        let got = one_cluster([("1", &a), ("2", &c)]);
        assert!(got.fe.unwrap_err().contains("different StarRocks FEs"));
        assert!(got.http.is_ok());
        let d = e("fe:9030", "fe:8030", Some("bob"));
        assert!(one_cluster([("1", &a), ("2", &d)])
            .credentials
            .unwrap_err()
            .contains("different StarRocks credentials"));
        assert_eq!(parse_flag("fe", 9030).unwrap(), HostPort::new("fe", 9030));
        assert_eq!(
            parse_flag("fe:19030", 9030).unwrap(),
            HostPort::new("fe", 19030)
        );
        assert_eq!(parse_flag("::1", 9030).unwrap(), HostPort::new("::1", 9030));
        assert_eq!(
            parse_flag("[::1]:1", 9030).unwrap(),
            HostPort::new("::1", 1)
        );
        assert!(parse_flag("fe:x", 9030).is_err());
    }

    #[test]
    fn display_round_trips() {
        for s in ["fe:8030", "[::1]:9030", "10.0.0.1:1"] {
            assert_eq!(HostPort::parse(s).unwrap().to_string(), s);
        }
    }
}
