//! The layout of `server/src`, and of the protocol core's `src/` (the client crate at the root of
//! the workspace), reads top-down: each import graph has no cycle, between files nor between
//! folders (docs/ARCHITECTURE.md draws the layers).
//!
//! The graph is built from the source itself: every `use` and every path in the code (macro
//! bodies included) that names something of this crate (`crate::…`, `super::…`, `self::…` or a
//! module in scope) is resolved, through re-exports, to the file that *defines* the item. A
//! re-export that its file does not itself use (`pub use outbox::OutFrame` in a `mod.rs`, the
//! crate root's public API) is an alias, not a dependency; `mod x;` declarations are structure.
//! A file depends on a folder-level module (`x/` or `x.rs` at the top of `src/`) when it uses a
//! file in it; a cycle through two files of one folder is a file-level cycle, one through
//! several folders a folder-level one.
//!
//! `cargo test -p stomp-server --test layout -- --nocapture` also prints the layers;
//! `STOMP_LAYOUT_SRC=path/to/src` checks another tree.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use proc_macro2::{Spacing, TokenStream, TokenTree};
use syn::visit::Visit;

/// One module: a file or an inline `mod x { … }` inside one.
#[derive(Debug, Default)]
struct Module {
    /// The file it lives in, relative to `src/`.
    file: String,
    parent: Option<usize>,
    children: HashMap<String, usize>,
    /// Items defined here (types, functions, traits, constants, macros).
    items: BTreeSet<String>,
    /// `use` declarations: name in scope → path, and whether the file uses it itself.
    imports: HashMap<String, Import>,
    /// `use path::*` targets.
    globs: Vec<Vec<String>>,
    /// Paths the code names (from `use` declarations the file relies on and from expressions,
    /// types, patterns and macro bodies).
    references: Vec<Vec<String>>,
}

#[derive(Debug, Clone)]
struct Import {
    path: Vec<String>,
    /// A private `use`, or a re-export whose name the file itself also uses.
    used_here: bool,
}

enum Target {
    Module(usize),
    /// An item defined in this module's file.
    Item(usize),
}

#[derive(Default)]
struct Crate {
    modules: Vec<Module>,
}

impl Crate {
    fn load(src: &Path) -> Crate {
        let mut krate = Crate::default();
        krate.load_file(src, "lib.rs", None, String::new());
        krate
    }

    /// Loads `file` as module `name` (child of `parent`), then the files of its `mod x;`.
    fn load_file(&mut self, src: &Path, file: &str, parent: Option<usize>, name: String) -> usize {
        let text = std::fs::read_to_string(src.join(file))
            .unwrap_or_else(|e| panic!("cannot read src/{file}: {e}"));
        let ast = syn::parse_file(&text).unwrap_or_else(|e| panic!("cannot parse src/{file}: {e}"));
        let id = self.new_module(file, parent, name);
        // Where `mod x;` looks for x: next to lib.rs and mod.rs, in a folder named after any
        // other file.
        let dir = match file.rsplit_once('/') {
            _ if file == "lib.rs" => String::new(),
            Some((dir, "mod.rs")) => format!("{dir}/"),
            _ => format!("{}/", file.trim_end_matches(".rs")),
        };
        self.load_items(src, &dir, id, &ast.items);
        id
    }

    fn new_module(&mut self, file: &str, parent: Option<usize>, name: String) -> usize {
        let id = self.modules.len();
        self.modules.push(Module {
            file: file.to_owned(),
            parent,
            ..Module::default()
        });
        if let Some(p) = parent {
            self.modules[p].children.insert(name, id);
        }
        id
    }

    fn load_items(&mut self, src: &Path, dir: &str, id: usize, items: &[syn::Item]) {
        let mut scan = Scan::default();
        for item in items {
            match item {
                syn::Item::Mod(m) => {
                    let name = m.ident.to_string();
                    match &m.content {
                        Some((_, inner)) => {
                            let file = self.modules[id].file.clone();
                            let child = self.new_module(&file, Some(id), name.clone());
                            self.load_items(src, &format!("{dir}{name}/"), child, inner);
                        }
                        None => {
                            let flat = format!("{dir}{name}.rs");
                            let nested = format!("{dir}{name}/mod.rs");
                            let file = if src.join(&flat).exists() {
                                flat
                            } else {
                                nested
                            };
                            self.load_file(src, &file, Some(id), name);
                        }
                    }
                }
                syn::Item::Use(u) => {
                    let private = matches!(u.vis, syn::Visibility::Inherited);
                    let mut flat = Vec::new();
                    flatten_use(&u.tree, &mut Vec::new(), &mut flat);
                    for (name, path) in flat {
                        match name {
                            None => self.modules[id].globs.push(path),
                            Some(name) => {
                                let import = Import {
                                    path,
                                    used_here: private,
                                };
                                self.modules[id].imports.insert(name, import);
                            }
                        }
                    }
                }
                other => {
                    if let Some(name) = item_name(other) {
                        self.modules[id].items.insert(name);
                    }
                    scan.visit_item(other);
                }
            }
        }
        let module = &mut self.modules[id];
        for (name, import) in module.imports.iter_mut() {
            import.used_here |= scan.idents.contains(name);
        }
        module.references.extend(scan.paths);
        let used: Vec<Vec<String>> = module
            .imports
            .values()
            .filter(|i| i.used_here)
            .map(|i| i.path.clone())
            .collect();
        module.references.extend(used);
        let globs = module.globs.clone();
        module.references.extend(globs);
    }

    /// Resolves `path`, as written in module `from`, to a module or an item of this crate;
    /// `None` for other crates, locals and generics.
    fn resolve(&self, from: usize, path: &[String], depth: usize) -> Option<Target> {
        if depth > 32 || path.is_empty() {
            return None;
        }
        let mut at = from;
        let mut rest = path;
        // The first segment: a path keyword or a name in scope.
        match rest[0].as_str() {
            "crate" => {
                at = 0;
                rest = &rest[1..];
            }
            "self" => rest = &rest[1..],
            "super" => {
                while rest.first().map(String::as_str) == Some("super") {
                    at = self.modules[at].parent?;
                    rest = &rest[1..];
                }
            }
            _ => {}
        }
        let mut target = Target::Module(at);
        for (i, segment) in rest.iter().enumerate() {
            let Target::Module(m) = target else { break };
            // `Type::method`, `Enum::Variant`: the rest belongs to the item.
            target = self.lookup(m, segment, depth)?;
            if let (Target::Item(_), true) = (&target, i + 1 < rest.len()) {
                break;
            }
        }
        Some(target)
    }

    /// What `name` means in module `m`.
    fn lookup(&self, m: usize, name: &str, depth: usize) -> Option<Target> {
        let module = &self.modules[m];
        if let Some(&child) = module.children.get(name) {
            return Some(Target::Module(child));
        }
        if module.items.contains(name) {
            return Some(Target::Item(m));
        }
        if let Some(import) = module.imports.get(name) {
            return self.resolve(m, &import.path, depth + 1);
        }
        module
            .globs
            .iter()
            .find_map(|glob| match self.resolve(m, glob, depth + 1)? {
                Target::Module(g) if g != m => self.lookup(g, name, depth + 1),
                _ => None,
            })
    }

    /// File → files it depends on, each with one path that shows why.
    fn file_graph(&self) -> BTreeMap<String, BTreeMap<String, String>> {
        let mut graph: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
        for (id, module) in self.modules.iter().enumerate() {
            graph.entry(module.file.clone()).or_default();
            for path in &module.references {
                let file = match self.resolve(id, path, 0) {
                    Some(Target::Module(m) | Target::Item(m)) => &self.modules[m].file,
                    None => continue,
                };
                if *file != module.file {
                    graph
                        .entry(module.file.clone())
                        .or_default()
                        .entry(file.clone())
                        .or_insert_with(|| path.join("::"));
                }
            }
        }
        // The crate root only declares modules and re-exports the public API.
        graph.remove("lib.rs");
        for deps in graph.values_mut() {
            deps.remove("lib.rs");
        }
        graph
    }
}

/// The folder-level module a file belongs to: `broker/` for `broker/queue.rs`, `server.rs` for
/// itself.
fn folder(file: &str) -> String {
    match file.split_once('/') {
        Some((dir, _)) => format!("{dir}/"),
        None => file.to_owned(),
    }
}

fn folder_graph(
    files: &BTreeMap<String, BTreeMap<String, String>>,
) -> BTreeMap<String, BTreeMap<String, String>> {
    let mut graph: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for (file, deps) in files {
        let from = folder(file);
        graph.entry(from.clone()).or_default();
        for (dep, why) in deps {
            let to = folder(dep);
            if to != from {
                graph
                    .entry(from.clone())
                    .or_default()
                    .entry(to)
                    .or_insert_with(|| format!("{file} uses {why}"));
            }
        }
    }
    graph
}

fn item_name(item: &syn::Item) -> Option<String> {
    let ident = match item {
        syn::Item::Const(i) => &i.ident,
        syn::Item::Enum(i) => &i.ident,
        syn::Item::Fn(i) => &i.sig.ident,
        syn::Item::Macro(i) => i.ident.as_ref()?,
        syn::Item::Static(i) => &i.ident,
        syn::Item::Struct(i) => &i.ident,
        syn::Item::Trait(i) => &i.ident,
        syn::Item::TraitAlias(i) => &i.ident,
        syn::Item::Type(i) => &i.ident,
        syn::Item::Union(i) => &i.ident,
        _ => return None,
    };
    Some(ident.to_string())
}

/// Flattens a `use` tree into (name in scope, path); a glob has no name.
fn flatten_use(
    tree: &syn::UseTree,
    prefix: &mut Vec<String>,
    out: &mut Vec<(Option<String>, Vec<String>)>,
) {
    match tree {
        syn::UseTree::Path(p) => {
            prefix.push(p.ident.to_string());
            flatten_use(&p.tree, prefix, out);
            prefix.pop();
        }
        syn::UseTree::Name(n) if n.ident == "self" => {
            out.push((prefix.last().cloned(), prefix.clone()));
        }
        syn::UseTree::Name(n) => {
            let mut path = prefix.clone();
            path.push(n.ident.to_string());
            out.push((Some(n.ident.to_string()), path));
        }
        syn::UseTree::Rename(r) => {
            let mut path = prefix.clone();
            if r.ident != "self" {
                path.push(r.ident.to_string());
            }
            out.push((Some(r.rename.to_string()), path));
        }
        syn::UseTree::Glob(_) => out.push((None, prefix.clone())),
        syn::UseTree::Group(g) => {
            for tree in &g.items {
                flatten_use(tree, prefix, out);
            }
        }
    }
}

/// The paths and identifiers in a module's code, outside `use` and `mod` items.
#[derive(Default)]
struct Scan {
    paths: Vec<Vec<String>>,
    idents: BTreeSet<String>,
}

impl Scan {
    /// Paths in a macro body: `a::b::c` token runs.
    fn tokens(&mut self, tokens: TokenStream) {
        let mut path: Vec<String> = Vec::new();
        let mut colons = 0;
        for token in tokens {
            match token {
                TokenTree::Ident(ident) => {
                    let ident = ident.to_string();
                    self.idents.insert(ident.clone());
                    if colons != 2 {
                        self.path_done(std::mem::take(&mut path));
                    }
                    path.push(ident);
                    colons = 0;
                }
                TokenTree::Punct(p) if p.as_char() == ':' && !path.is_empty() => {
                    colons += 1;
                    if colons == 1 && p.spacing() != Spacing::Joint || colons > 2 {
                        self.path_done(std::mem::take(&mut path));
                        colons = 0;
                    }
                }
                TokenTree::Group(group) => {
                    self.path_done(std::mem::take(&mut path));
                    colons = 0;
                    self.tokens(group.stream());
                }
                _ => {
                    self.path_done(std::mem::take(&mut path));
                    colons = 0;
                }
            }
        }
        self.path_done(path);
    }

    fn path_done(&mut self, path: Vec<String>) {
        if path.len() > 1 {
            self.paths.push(path);
        }
    }
}

impl<'ast> Visit<'ast> for Scan {
    fn visit_path(&mut self, path: &'ast syn::Path) {
        let segments: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
        self.path_done(segments);
        syn::visit::visit_path(self, path);
    }

    fn visit_ident(&mut self, ident: &'ast proc_macro2::Ident) {
        self.idents.insert(ident.to_string());
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        self.visit_path(&mac.path);
        self.tokens(mac.tokens.clone());
    }

    // Doc comments and other attributes name things without depending on them.
    fn visit_attribute(&mut self, _: &'ast syn::Attribute) {}
}

/// Every cycle's nodes (strongly connected components of more than one node), Tarjan's way.
fn cycles(graph: &BTreeMap<String, BTreeMap<String, String>>) -> Vec<Vec<String>> {
    struct State<'a> {
        graph: &'a BTreeMap<String, BTreeMap<String, String>>,
        index: HashMap<&'a str, usize>,
        low: HashMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        found: Vec<Vec<String>>,
    }
    fn connect<'a>(s: &mut State<'a>, node: &'a str) {
        let i = s.index.len();
        s.index.insert(node, i);
        s.low.insert(node, i);
        s.stack.push(node);
        s.on_stack.insert(node);
        for dep in s.graph.get(node).into_iter().flat_map(|d| d.keys()) {
            let dep = dep.as_str();
            if !s.index.contains_key(dep) {
                connect(s, dep);
                let low = s.low[node].min(s.low[dep]);
                s.low.insert(node, low);
            } else if s.on_stack.contains(dep) {
                let low = s.low[node].min(s.index[dep]);
                s.low.insert(node, low);
            }
        }
        if s.low[node] == s.index[node] {
            let mut component = Vec::new();
            while let Some(n) = s.stack.pop() {
                s.on_stack.remove(n);
                component.push(n.to_owned());
                if n == node {
                    break;
                }
            }
            if component.len() > 1 {
                component.sort();
                s.found.push(component);
            }
        }
    }
    let mut s = State {
        graph,
        index: HashMap::new(),
        low: HashMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        found: Vec::new(),
    };
    for node in graph.keys() {
        if !s.index.contains_key(node.as_str()) {
            connect(&mut s, node);
        }
    }
    s.found
}

/// One concrete loop through a cycle's nodes, each step with the path that makes it.
fn describe(graph: &BTreeMap<String, BTreeMap<String, String>>, component: &[String]) -> String {
    let inside: BTreeSet<&str> = component.iter().map(String::as_str).collect();
    let start = component[0].as_str();
    // Breadth-first from `start` back to itself, staying inside the component.
    let mut came_from: HashMap<&str, &str> = HashMap::new();
    let mut queue = std::collections::VecDeque::from([start]);
    'search: while let Some(node) = queue.pop_front() {
        for dep in graph[node].keys().map(String::as_str) {
            if !inside.contains(dep) {
                continue;
            }
            if dep == start {
                came_from.insert(start, node);
                break 'search;
            }
            if !came_from.contains_key(dep) {
                came_from.insert(dep, node);
                queue.push_back(dep);
            }
        }
    }
    let mut steps = vec![start];
    let mut node = came_from[start];
    while node != start {
        steps.push(node);
        node = came_from[node];
    }
    steps.push(start);
    steps.reverse();
    let mut out = format!("cycle of {} ({}):\n", component.len(), component.join(", "));
    for pair in steps.windows(2) {
        let _ = writeln!(
            out,
            "    {} -> {}  ({})",
            pair[0], pair[1], graph[pair[0]][pair[1]]
        );
    }
    out
}

/// Nodes by layer: each depends only on layers before its own.
fn layers(graph: &BTreeMap<String, BTreeMap<String, String>>) -> Vec<Vec<String>> {
    let mut placed: BTreeMap<&str, usize> = BTreeMap::new();
    while placed.len() < graph.len() {
        let before = placed.len();
        for (node, deps) in graph {
            if placed.contains_key(node.as_str()) {
                continue;
            }
            let layer = deps.keys().map(|d| placed.get(d.as_str()).map(|l| l + 1));
            if let Some(layer) = layer.collect::<Option<Vec<_>>>() {
                placed.insert(node, layer.into_iter().max().unwrap_or(0));
            }
        }
        if placed.len() == before {
            break; // a cycle: reported by the caller
        }
    }
    let mut out: Vec<Vec<String>> = Vec::new();
    for (node, layer) in placed {
        out.resize_with(out.len().max(layer + 1), Vec::new);
        out[layer].push(node.to_owned());
    }
    out
}

/// `server/src`, or the tree `STOMP_LAYOUT_SRC` names (to check another checkout).
fn src_dir() -> PathBuf {
    match std::env::var_os("STOMP_LAYOUT_SRC") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
    }
}

#[test]
fn server_src_has_no_import_cycle() {
    assert_no_import_cycle(&src_dir(), "server/src");
}

/// The core's `src/`: issue 14 asked the rebuilt client to read top-down as the server does.
#[test]
fn core_src_has_no_import_cycle() {
    assert_no_import_cycle(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../src"), "src");
}

/// Fails naming every cycle of the tree `dir` (`name` in the report); prints its layers.
fn assert_no_import_cycle(dir: &Path, name: &str) {
    let krate = Crate::load(dir);
    let files = krate.file_graph();
    let folders = folder_graph(&files);
    let mut report = String::new();
    for (level, graph) in [("file", &files), ("folder", &folders)] {
        for component in cycles(graph) {
            let _ = write!(report, "{level}-level {}", describe(graph, &component));
        }
    }
    for (level, graph) in [("folders", &folders), ("files", &files)] {
        println!("{name}: layers of {level}, lowest first:");
        for (i, layer) in layers(graph).iter().enumerate() {
            println!("  {i}: {}", layer.join(" "));
        }
    }
    assert!(report.is_empty(), "{name} has import cycles:\n{report}");
}

/// The checker itself: it sees a cycle through a `use`, a re-export and a macro body, and
/// ignores an unused re-export.
#[test]
fn checker_finds_cycles_through_reexports_and_macros() {
    let dir = std::env::temp_dir().join(format!("stomp-layout-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("a")).expect("temp dir");
    let write = |file: &str, text: &str| std::fs::write(dir.join(file), text).expect("write");
    write("lib.rs", "pub mod a;\npub mod b;\npub use a::Thing;\n");
    write("a/mod.rs", "mod thing;\npub use thing::Thing;\n");
    // a/thing.rs -> b.rs through a macro body; b.rs -> a/thing.rs through a re-export chain.
    write(
        "a/thing.rs",
        "pub struct Thing;\nfn f() { tokio::select! { _ = crate::b::g() => {} } }\n",
    );
    write(
        "b.rs",
        "use crate::Thing;\npub async fn g() { let _ = Thing; }\n",
    );
    let krate = Crate::load(&dir);
    let files = krate.file_graph();
    assert_eq!(
        cycles(&files),
        vec![vec!["a/thing.rs".to_owned(), "b.rs".to_owned()]]
    );
    assert_eq!(
        cycles(&folder_graph(&files)),
        vec![vec!["a/".to_owned(), "b.rs".to_owned()]]
    );
    assert!(
        !files["a/mod.rs"].contains_key("a/thing.rs"),
        "a re-export only"
    );

    // Without the macro's call there is no cycle.
    write("a/thing.rs", "pub struct Thing;\n");
    let files = Crate::load(&dir).file_graph();
    assert!(cycles(&files).is_empty());
    assert_eq!(files["b.rs"].keys().collect::<Vec<_>>(), ["a/thing.rs"]);
    let _ = std::fs::remove_dir_all(&dir);
}
