//! Who is connected: sessions by id and by user name, for `/user/{name}/…` destinations and
//! "who is online".

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use super::subscriber::SessionLink;

#[derive(Debug, Default)]
pub struct Users {
    inner: RwLock<Registry>,
}

#[derive(Debug, Default)]
struct Registry {
    sessions: HashMap<Arc<str>, Arc<SessionLink>>,
    by_user: HashMap<Arc<str>, Vec<Arc<SessionLink>>>,
}

impl Users {
    pub fn register(&self, link: &Arc<SessionLink>) {
        let mut r = self.inner.write().unwrap_or_else(|e| e.into_inner());
        r.sessions.insert(Arc::clone(&link.id), Arc::clone(link));
        if let Some(user) = link.user() {
            r.by_user
                .entry(Arc::clone(user))
                .or_default()
                .push(Arc::clone(link));
        }
    }

    pub fn unregister(&self, link: &Arc<SessionLink>) {
        let mut r = self.inner.write().unwrap_or_else(|e| e.into_inner());
        r.sessions.remove(&link.id);
        if let Some(user) = link.user() {
            if let Some(list) = r.by_user.get_mut(user) {
                list.retain(|l| !Arc::ptr_eq(l, link));
                if list.is_empty() {
                    r.by_user.remove(user);
                }
            }
        }
    }

    /// Every session of a user name, or the session with that id.
    pub fn sessions_of(&self, name: &str) -> Vec<Arc<SessionLink>> {
        let r = self.inner.read().unwrap_or_else(|e| e.into_inner());
        if let Some(list) = r.by_user.get(name) {
            return list.clone();
        }
        r.sessions.get(name).cloned().into_iter().collect()
    }

    pub fn names(&self) -> Vec<String> {
        let r = self.inner.read().unwrap_or_else(|e| e.into_inner());
        let mut v: Vec<String> = r.by_user.keys().map(|k| k.to_string()).collect();
        v.sort();
        v
    }

    pub fn session_count(&self) -> usize {
        self.inner
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .sessions
            .len()
    }
}
