//! Destinations: which part of the server a destination belongs to (prefix routing) and
//! Ant-style patterns (`*`, `?`, `**`, `{name}`) for wildcard subscriptions and handler paths.

use crate::config::Destinations;

/// The namespace of resolved `/user` destinations: unreachable by any client destination (the
/// router refuses it, and it starts with neither `/` nor `.`, so no pattern matches it).
pub const RESOLVED_USER_PREFIX: &str = "user-session:";

/// Where a destination is routed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route<'a> {
    /// Pub-sub broker destination.
    Topic,
    /// Point-to-point broker destination.
    Queue,
    /// `/user/...`: the rest after the user prefix (starts with `/`).
    User(&'a str),
    /// Application destination: the path after the application prefix (starts with `/`, or is
    /// empty).
    App(&'a str),
    /// Under no configured prefix: refused.
    Unknown,
}

/// Prefix routing, built once from the configuration.
#[derive(Debug, Clone)]
pub struct Router {
    topic_prefixes: Vec<String>,
    queue_prefixes: Vec<String>,
    app_prefixes: Vec<String>,
    user_prefix: String,
}

impl Router {
    pub fn new(config: &Destinations) -> Router {
        Router {
            topic_prefixes: config
                .broker_prefixes
                .iter()
                .filter(|p| !config.queue_prefixes.contains(p))
                .cloned()
                .collect(),
            queue_prefixes: config.queue_prefixes.clone(),
            app_prefixes: config.app_prefixes.clone(),
            user_prefix: config.user_prefix.clone(),
        }
    }

    /// Routes a destination. Prefixes match whole segments: `/topic` routes `/topic`,
    /// `/topic/a` and `/topic.a`, not `/topics`.
    pub fn route<'a>(&self, destination: &'a str) -> Route<'a> {
        // Resolved `/user` destinations are the broker's own: never a client's to name, whatever
        // prefixes are configured.
        if destination.starts_with(RESOLVED_USER_PREFIX) {
            return Route::Unknown;
        }
        if !self.user_prefix.is_empty() {
            if let Some(rest) = strip_prefix(destination, &self.user_prefix) {
                if rest.starts_with('/') {
                    return Route::User(rest);
                }
            }
        }
        for p in &self.app_prefixes {
            if let Some(rest) = strip_prefix(destination, p) {
                return Route::App(rest);
            }
        }
        if self
            .queue_prefixes
            .iter()
            .any(|p| strip_prefix(destination, p).is_some())
        {
            return Route::Queue;
        }
        if self
            .topic_prefixes
            .iter()
            .any(|p| strip_prefix(destination, p).is_some())
        {
            return Route::Topic;
        }
        Route::Unknown
    }
}

fn strip_prefix<'a>(destination: &'a str, prefix: &str) -> Option<&'a str> {
    let prefix = prefix.trim_end_matches('/');
    let rest = destination.strip_prefix(prefix)?;
    (rest.is_empty() || rest.starts_with('/') || rest.starts_with('.')).then_some(rest)
}

/// Whether a subscription destination is a pattern rather than a literal.
pub fn is_pattern(destination: &str) -> bool {
    destination.contains(['*', '?'])
}

/// An Ant-style path pattern, segments separated by `/`:
/// `*` matches any characters within a segment, `?` one character, a `**` segment any number of
/// segments, and a `{name}` segment one whole segment, captured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    source: String,
    segments: Vec<Segment>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Glob(String),
    Capture(String),
    AnyDepth,
}

impl Pattern {
    pub fn new(source: &str) -> Pattern {
        let segments = source
            .split('/')
            .map(|s| {
                if s == "**" {
                    Segment::AnyDepth
                } else if s.len() > 2 && s.starts_with('{') && s.ends_with('}') {
                    Segment::Capture(s[1..s.len() - 1].to_owned())
                } else if s.contains(['*', '?']) {
                    Segment::Glob(s.to_owned())
                } else {
                    Segment::Literal(s.to_owned())
                }
            })
            .collect();
        Pattern {
            source: source.to_owned(),
            segments,
        }
    }

    pub fn as_str(&self) -> &str {
        &self.source
    }

    pub fn matches(&self, path: &str) -> bool {
        self.captures(path).is_some()
    }

    /// The `{name}` captures when `path` matches.
    pub fn captures(&self, path: &str) -> Option<Vec<(String, String)>> {
        let parts: Vec<&str> = path.split('/').collect();
        let mut out = Vec::new();
        match_segments(&self.segments, &parts, &mut out).then_some(out)
    }
}

fn match_segments(pattern: &[Segment], parts: &[&str], out: &mut Vec<(String, String)>) -> bool {
    let Some((first, rest)) = pattern.split_first() else {
        return parts.is_empty();
    };
    if *first == Segment::AnyDepth {
        return (0..=parts.len()).any(|skip| {
            let mark = out.len();
            let ok = match_segments(rest, &parts[skip..], out);
            if !ok {
                out.truncate(mark);
            }
            ok
        });
    }
    let Some((part, parts_rest)) = parts.split_first() else {
        return false;
    };
    let mark = out.len();
    let ok = match first {
        Segment::Literal(l) => l == part,
        Segment::Glob(g) => glob(g.as_bytes(), part.as_bytes()),
        Segment::Capture(name) => {
            out.push((name.clone(), (*part).to_owned()));
            true
        }
        Segment::AnyDepth => false,
    };
    if ok && match_segments(rest, parts_rest, out) {
        return true;
    }
    out.truncate(mark);
    false
}

/// `*` and `?` within one segment. Iterative with one backtrack point: linear in practice.
fn glob(pattern: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && (pattern[p] == b'?' || pattern[p] == text[t]) {
            p += 1;
            t += 1;
        } else if p < pattern.len() && pattern[p] == b'*' {
            star = Some((p, t));
            p += 1;
        } else if let Some((sp, st)) = star {
            p = sp + 1;
            t = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|&c| c == b'*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_by_prefix_on_segment_boundaries() {
        let r = Router::new(&Destinations::default());
        assert_eq!(r.route("/topic/a"), Route::Topic);
        assert_eq!(r.route("/topic.a"), Route::Topic);
        assert_eq!(r.route("/topics/a"), Route::Unknown);
        assert_eq!(r.route("/queue/q"), Route::Queue);
        assert_eq!(r.route("/app/greet"), Route::App("/greet"));
        assert_eq!(r.route("/user/bob/queue/x"), Route::User("/bob/queue/x"));
        assert_eq!(r.route("/elsewhere"), Route::Unknown);
        assert_eq!(r.route("topic/a"), Route::Unknown);
        assert_eq!(r.route("user-session:s1-ab/queue/x"), Route::Unknown);
    }

    #[test]
    fn ant_patterns() {
        assert!(Pattern::new("/topic/chat.*").matches("/topic/chat.general"));
        assert!(!Pattern::new("/topic/chat.*").matches("/topic/chat/general"));
        assert!(Pattern::new("/topic/chat/**").matches("/topic/chat/a/b/c"));
        assert!(Pattern::new("/topic/chat/**").matches("/topic/chat"));
        assert!(!Pattern::new("/topic/chat/**").matches("/topic/other/a"));
        assert!(Pattern::new("/topic/*/x").matches("/topic/a/x"));
        assert!(!Pattern::new("/topic/*/x").matches("/topic/a/b/x"));
        assert!(Pattern::new("/topic/a?c").matches("/topic/abc"));
        assert!(Pattern::new("/**/end").matches("/a/b/end"));
        let caps = Pattern::new("/chat/room/{id}")
            .captures("/chat/room/42")
            .unwrap_or_default();
        assert_eq!(caps, vec![("id".to_owned(), "42".to_owned())]);
        assert!(Pattern::new("/chat/room/{id}")
            .captures("/chat/room/42/x")
            .is_none());
    }
}
