//! Tiled log layout (c2sp.org/tlog-tiles): tile and entry-bundle paths,
//! building hash tiles from stored hashes, entry bundle encoding, and an
//! offline verifier for a complete export.
//!
//! A hash tile at tile level `L` holds up to 256 consecutive complete-subtree
//! hashes of Merkle level `8·L`, so every tile hash is a node of the stored
//! hash model in `merkle` and tiles are built by plain lookups.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::str::FromStr;

use super::merkle::{self, Frontier, HASH_LEN, Hash, MerkleError, NodeId, StoredHashes};
use crate::crypto::Suite;

/// Merkle levels spanned by one tile.
pub(crate) const TILE_HEIGHT: u8 = 8;
/// Hashes in a full tile, entries in a full bundle.
pub(crate) const TILE_WIDTH: u16 = 1 << TILE_HEIGHT;
/// Longest entry an entry bundle can carry (uint16 length prefix).
pub(crate) const MAX_ENTRY_LEN: usize = u16::MAX as usize;
/// The spec's path syntax allows levels up to 63; only levels whose hashes
/// cover at most 2^63 leaves can occur in a tree with a 64-bit size.
const MAX_TILE_LEVEL: u8 = 63 / TILE_HEIGHT;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum TileError {
    #[error("malformed tile path {path:?}: {reason}")]
    MalformedPath { path: String, reason: &'static str },
    #[error("tile width {0} is outside 1..=256")]
    InvalidWidth(u16),
    #[error("tile level {0} cannot occur in a tree with a 64-bit size")]
    LevelTooHigh(u8),
    #[error("tile lies beyond the largest possible tree")]
    BeyondLargestTree,
    #[error("entry bundles hold entries, not hashes")]
    NotAHashTile,
    #[error("entry {index} is {len} bytes long, more than a bundle can carry ({MAX_ENTRY_LEN})")]
    EntryTooLarge { index: usize, len: usize },
    #[error("a bundle holds at most {TILE_WIDTH} entries")]
    TooManyEntries,
    #[error("entry bundle is truncated in the entry starting at byte {offset}")]
    TruncatedBundle { offset: usize },
    #[error(transparent)]
    Merkle(#[from] MerkleError),
}

/// What a [`TilePath`] names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum TileKind {
    /// A hash tile at this tile level (Merkle level `8·level`).
    Hashes { level: u8 },
    /// An entry bundle (the entries under the level-0 tile of the same index).
    Entries,
}

/// A hash tile or entry bundle: `tile/<L>/<N>[.p/<W>]` or
/// `tile/entries/<N>[.p/<W>]`. Always one that can exist in some tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct TilePath {
    kind: TileKind,
    index: u64,
    /// 1..=256; 256 is a full tile, anything less a partial one.
    width: u16,
}

impl TilePath {
    #[cfg(test)]
    pub(crate) fn hashes(level: u8, index: u64, width: u16) -> Result<Self, TileError> {
        Self::new(TileKind::Hashes { level }, index, width)
    }

    #[cfg(test)]
    pub(crate) fn entries(index: u64, width: u16) -> Result<Self, TileError> {
        Self::new(TileKind::Entries, index, width)
    }

    fn new(kind: TileKind, index: u64, width: u16) -> Result<Self, TileError> {
        if !(1..=TILE_WIDTH).contains(&width) {
            return Err(TileError::InvalidWidth(width));
        }
        if let TileKind::Hashes { level } = kind
            && level > MAX_TILE_LEVEL
        {
            return Err(TileError::LevelTooHigh(level));
        }
        let tile = Self { kind, index, width };
        // Bounding the tile's end once here keeps all later arithmetic on it
        // free of overflow.
        let end = (u128::from(index) * u128::from(TILE_WIDTH) + u128::from(width))
            << tile.leaves_per_hash_log2();
        if end > u128::from(u64::MAX) {
            return Err(TileError::BeyondLargestTree);
        }
        Ok(tile)
    }

    #[cfg(test)]
    pub(crate) fn index(&self) -> u64 {
        self.index
    }

    #[cfg(test)]
    pub(crate) fn width(&self) -> u16 {
        self.width
    }

    pub(crate) fn kind(&self) -> TileKind {
        self.kind
    }

    pub(crate) fn is_partial(&self) -> bool {
        self.width < TILE_WIDTH
    }

    /// The leaves `[start, end)` this tile's hashes (or entries) cover.
    pub(crate) fn leaf_range(&self) -> (u64, u64) {
        let shift = self.leaves_per_hash_log2();
        let first = self.index * u64::from(TILE_WIDTH);
        (first << shift, (first + u64::from(self.width)) << shift)
    }

    /// log2 of the number of leaves under one hash (or entry) of this tile.
    fn leaves_per_hash_log2(&self) -> u32 {
        match self.kind {
            TileKind::Hashes { level } => u32::from(level) * u32::from(TILE_HEIGHT),
            TileKind::Entries => 0,
        }
    }
}

impl fmt::Display for TilePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            TileKind::Hashes { level } => write!(f, "tile/{level}/")?,
            TileKind::Entries => f.write_str("tile/entries/")?,
        }
        f.write_str(&encode_tile_index(self.index))?;
        if self.is_partial() {
            write!(f, ".p/{}", self.width)?;
        }
        Ok(())
    }
}

impl FromStr for TilePath {
    type Err = TileError;

    /// Accepts only the canonical spelling, so a path and a tile correspond
    /// one to one (no leading zeroes, no `x000/` prefixes, no `.p/256`).
    fn from_str(path: &str) -> Result<Self, TileError> {
        let malformed = |reason| TileError::MalformedPath {
            path: path.to_owned(),
            reason,
        };
        let rest = path
            .strip_prefix("tile/")
            .ok_or_else(|| malformed("it does not start with tile/"))?;
        let (kind, rest) = rest
            .split_once('/')
            .ok_or_else(|| malformed("no index after the level"))?;
        let kind = if kind == "entries" {
            TileKind::Entries
        } else {
            let level = parse_canonical_decimal(kind, 63)
                .ok_or_else(|| malformed("level is not a decimal from 0 to 63"))?;
            TileKind::Hashes { level: level as u8 }
        };
        let (index, width) = match rest.split_once(".p/") {
            Some((index, width)) => {
                let width = parse_canonical_decimal(width, u64::from(TILE_WIDTH) - 1)
                    .filter(|&width| width > 0)
                    .ok_or_else(|| malformed("partial width is not a decimal from 1 to 255"))?;
                (index, width as u16)
            }
            None => (rest, TILE_WIDTH),
        };
        let index = decode_tile_index(index).ok_or_else(|| malformed("bad index encoding"))?;
        Self::new(kind, index, width)
    }
}

/// The hash tiles that represent a tree of `size` leaves, level by level.
pub(crate) fn hash_tiles_for_tree(size: u64) -> impl Iterator<Item = TilePath> {
    (0..=MAX_TILE_LEVEL).flat_map(move |level| {
        let hashes = size >> (u32::from(level) * u32::from(TILE_HEIGHT));
        tiles_for_count(hashes, move |index, width| TilePath {
            kind: TileKind::Hashes { level },
            index,
            width,
        })
    })
}

/// The entry bundles that hold the entries of a tree of `size` leaves.
pub(crate) fn entry_bundles_for_tree(size: u64) -> impl Iterator<Item = TilePath> {
    tiles_for_count(size, |index, width| TilePath {
        kind: TileKind::Entries,
        index,
        width,
    })
}

/// Full tiles for `count` consecutive items, then the partial one if any.
/// The constructor is trusted: `count` comes from a real tree size, so every
/// tile it yields is within bounds.
fn tiles_for_count(
    count: u64,
    make: impl Fn(u64, u16) -> TilePath,
) -> impl Iterator<Item = TilePath> {
    let full_tiles = count / u64::from(TILE_WIDTH);
    let partial_width = (count % u64::from(TILE_WIDTH)) as u16;
    let partial = (partial_width > 0).then_some((full_tiles, partial_width));
    (0..full_tiles)
        .map(|index| (index, TILE_WIDTH))
        .chain(partial)
        .map(move |(index, width)| make(index, width))
}

/// Stored node ids whose hashes make up a hash tile, in tile order.
pub(crate) fn tile_needs(tile: &TilePath) -> Result<Vec<NodeId>, TileError> {
    let TileKind::Hashes { level } = tile.kind else {
        return Err(TileError::NotAHashTile);
    };
    let merkle_level = level * TILE_HEIGHT;
    let first = tile.index * u64::from(TILE_WIDTH);
    Ok((0..u64::from(tile.width))
        .map(|offset| (merkle_level, first + offset))
        .collect())
}

/// The bytes of a hash tile: its hashes concatenated.
pub(crate) fn build_hash_tile(
    tile: &TilePath,
    stored: &StoredHashes,
) -> Result<Vec<u8>, TileError> {
    let mut bytes = Vec::with_capacity(usize::from(tile.width) * HASH_LEN);
    for (level, index) in tile_needs(tile)? {
        let hash = stored
            .get(&(level, index))
            .ok_or(MerkleError::MissingNode { level, index })?;
        bytes.extend_from_slice(hash);
    }
    Ok(bytes)
}

/// Encodes entries as a bundle: each as a big-endian u16 length, then bytes.
pub(crate) fn encode_entry_bundle<'a>(
    entries: impl IntoIterator<Item = &'a [u8]>,
) -> Result<Vec<u8>, TileError> {
    let mut bundle = Vec::new();
    for (index, entry) in entries.into_iter().enumerate() {
        if index == usize::from(TILE_WIDTH) {
            return Err(TileError::TooManyEntries);
        }
        let len = u16::try_from(entry.len()).map_err(|_| TileError::EntryTooLarge {
            index,
            len: entry.len(),
        })?;
        bundle.extend_from_slice(&len.to_be_bytes());
        bundle.extend_from_slice(entry);
    }
    Ok(bundle)
}

/// Splits a bundle into its entries, borrowing from `bundle`.
pub(crate) fn decode_entry_bundle(bundle: &[u8]) -> Result<Vec<&[u8]>, TileError> {
    let mut entries = Vec::new();
    let mut rest = bundle;
    while !rest.is_empty() {
        if entries.len() == usize::from(TILE_WIDTH) {
            return Err(TileError::TooManyEntries);
        }
        let offset = bundle.len() - rest.len();
        let truncated = TileError::TruncatedBundle { offset };
        let (len, after_len) = rest.split_first_chunk::<2>().ok_or(truncated.clone())?;
        let len = usize::from(u16::from_be_bytes(*len));
        if after_len.len() < len {
            return Err(truncated);
        }
        let (entry, after_entry) = after_len.split_at(len);
        entries.push(entry);
        rest = after_entry;
    }
    Ok(entries)
}

/// What an export verification covered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TileVerification {
    pub entries: u64,
    pub(crate) entry_bundles: u64,
    pub(crate) hash_tiles: u64,
}

/// Why an export does not verify. Blame is assigned using the checkpoint's
/// root as the only trusted value: if the entries reproduce it they are
/// authentic and the first tile disagreeing with them is broken; otherwise,
/// if the level-0 tiles reproduce it, they are authentic and the first entry
/// disagreeing with them is broken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum TileVerifyError {
    #[error("{0} is missing")]
    Missing(TilePath),
    #[error("{path} is malformed: {reason}")]
    Malformed { path: TilePath, reason: String },
    #[error(
        "entry {index} does not match: its hash differs from {tile}, which reproduces the checkpoint root"
    )]
    EntryMismatch { index: u64, tile: TilePath },
    #[error(
        "tile {path} does not match: hash {position} differs from the tree recomputed from the entries, which reproduces the checkpoint root"
    )]
    TileMismatch { path: TilePath, position: u16 },
    #[error(
        "the checkpoint root matches neither the entries nor the level-0 tiles{}",
        describe_disagreement(*.first_entry_disagreement, *.first_tile_disagreement)
    )]
    RootMismatch {
        /// First entry whose hash differs from its level-0 tile.
        first_entry_disagreement: Option<u64>,
        /// First tile hash that differs from the tree the entries give.
        first_tile_disagreement: Option<(TilePath, u16)>,
    },
    /// Cannot happen for trees of at most `u64::MAX` leaves; reported rather
    /// than panicking.
    #[error(transparent)]
    Merkle(#[from] MerkleError),
}

fn describe_disagreement(entry: Option<u64>, tile: Option<(TilePath, u16)>) -> String {
    let mut clues = Vec::new();
    if let Some(index) = entry {
        clues.push(format!(
            "entry {index} is the first to differ from its level-0 tile"
        ));
    }
    if let Some((path, position)) = tile {
        clues.push(format!(
            "{path} hash {position} is the first tile hash to differ from the entries"
        ));
    }
    if clues.is_empty() {
        String::new()
    } else {
        format!(" ({})", clues.join("; "))
    }
}

/// Verifies a complete tiled export of a tree of `size` leaves with root
/// `root` (taken from an already verified checkpoint): every entry bundle and
/// every hash tile the tree needs is fetched once, in order, and checked.
///
/// `fetch` returns a resource's bytes, or `None` if it is absent. Memory use is
/// one bundle plus one tile per level, so exports of any size stream through.
///
/// It also returns the root of the tree's first `n` entries for every `n`
/// in `prefixes` up to `size`, computed in the same pass from the same verified entries: what
/// shows that the tree extends an earlier checkpoint of size `n`. A prefix may end anywhere,
/// inside a bundle the tree holds only partly as well.
pub(crate) fn verify_tiles_and_prefixes(
    suite: Suite,
    size: u64,
    root: &Hash,
    prefixes: &BTreeSet<u64>,
    mut fetch: impl FnMut(&TilePath) -> Option<Vec<u8>>,
) -> Result<(TileVerification, BTreeMap<u64, Hash>), TileVerifyError> {
    let mut check = ExportCheck::new(suite, size, prefixes);
    for bundle in entry_bundles_for_tree(size) {
        let bundle_bytes = fetch(&bundle).ok_or(TileVerifyError::Missing(bundle))?;
        let entries =
            decode_entry_bundle(&bundle_bytes).map_err(|error| TileVerifyError::Malformed {
                path: bundle,
                reason: error.to_string(),
            })?;
        if entries.len() != usize::from(bundle.width) {
            return Err(TileVerifyError::Malformed {
                path: bundle,
                reason: format!(
                    "it holds {} entries, expected {}",
                    entries.len(),
                    bundle.width
                ),
            });
        }
        let leaf_tile = TilePath {
            kind: TileKind::Hashes { level: 0 },
            ..bundle
        };
        let leaf_tile_bytes = fetch_tile(&leaf_tile, &mut fetch)?;
        check.hash_tiles += 1;
        let first_index = bundle.index * u64::from(TILE_WIDTH);
        for (position, (entry, tile_hash)) in entries
            .iter()
            .zip(leaf_tile_bytes.chunks_exact(HASH_LEN))
            .enumerate()
        {
            let entry_hash = merkle::leaf_hash(suite, entry);
            if entry_hash != tile_hash {
                let index = first_index + position as u64;
                check.first_entry_mismatch.get_or_insert((index, leaf_tile));
                check
                    .first_tile_mismatch
                    .get_or_insert((leaf_tile, position as u16));
            }
            check.append(entry_hash, to_hash(tile_hash), &mut fetch)?;
        }
        check.entry_bundles += 1;
    }
    check.finish(root)
}

/// The state of one [`verify_tiles_and_prefixes`] run.
struct ExportCheck {
    size: u64,
    /// The tree recomputed from the entries.
    entries_tree: Frontier,
    /// The tree recomputed from the level-0 tiles, to see whether they
    /// reproduce the root when the entries do not; `None` while it is still
    /// identical to `entries_tree`, which saves hashing everything twice in
    /// the common case.
    tiles_tree: Option<Frontier>,
    /// The tile currently being compared at each tile level above 0.
    open_tiles: Vec<Option<(TilePath, Vec<u8>)>>,
    /// Sizes whose root is wanted, and the roots found so far.
    prefixes: BTreeSet<u64>,
    prefix_roots: BTreeMap<u64, Hash>,
    first_entry_mismatch: Option<(u64, TilePath)>,
    first_tile_mismatch: Option<(TilePath, u16)>,
    entry_bundles: u64,
    hash_tiles: u64,
}

impl ExportCheck {
    fn new(suite: Suite, size: u64, prefixes: &BTreeSet<u64>) -> Self {
        let entries_tree = Frontier::new(suite);
        let prefix_roots = prefixes
            .contains(&0)
            .then(|| (0, entries_tree.root()))
            .into_iter()
            .collect();
        Self {
            size,
            entries_tree,
            tiles_tree: None,
            open_tiles: vec![None; usize::from(MAX_TILE_LEVEL) + 1],
            prefixes: prefixes.clone(),
            prefix_roots,
            first_entry_mismatch: None,
            first_tile_mismatch: None,
            entry_bundles: 0,
            hash_tiles: 0,
        }
    }

    fn append(
        &mut self,
        entry_hash: Hash,
        tile_hash: Hash,
        fetch: &mut impl FnMut(&TilePath) -> Option<Vec<u8>>,
    ) -> Result<(), TileVerifyError> {
        if self.tiles_tree.is_none() && entry_hash != tile_hash {
            self.tiles_tree = Some(self.entries_tree.clone());
        }
        // Both trees stay within `size` ≤ u64::MAX leaves, so appending
        // cannot hit the full-tree limit.
        if let Some(tree) = &mut self.tiles_tree {
            tree.append(tile_hash)?;
        }
        for (level, index, entries_hash) in self.entries_tree.append(entry_hash)? {
            if level == 0 || level % TILE_HEIGHT != 0 {
                continue;
            }
            let (tile, published) = self.published_hash(level / TILE_HEIGHT, index, fetch)?;
            if published != entries_hash {
                self.first_tile_mismatch
                    .get_or_insert((tile, (index % u64::from(TILE_WIDTH)) as u16));
            }
        }
        let appended = self.entries_tree.size();
        if self.prefixes.contains(&appended) {
            self.prefix_roots.insert(appended, self.entries_tree.root());
        }
        Ok(())
    }

    /// The published hash of node `(8·tile_level, index)` and the tile it
    /// is in. Tiles are fetched on first use and kept open until the walk
    /// moves on to the next tile of the same level.
    fn published_hash(
        &mut self,
        tile_level: u8,
        index: u64,
        fetch: &mut impl FnMut(&TilePath) -> Option<Vec<u8>>,
    ) -> Result<(TilePath, Hash), TileVerifyError> {
        let tile_index = index / u64::from(TILE_WIDTH);
        // Merkle levels are at most 63, so `tile_level` ≤ MAX_TILE_LEVEL and
        // the slot exists.
        let slot = usize::from(tile_level);
        let (tile, bytes) = match self.open_tiles[slot].take() {
            Some((open, bytes)) if open.index == tile_index => (open, bytes),
            _ => {
                let hashes_at_level = self.size >> (u32::from(tile_level) * u32::from(TILE_HEIGHT));
                // `index` is a complete node of this tree, so its tile starts
                // below `hashes_at_level` and the subtraction cannot wrap.
                let width = (hashes_at_level - tile_index * u64::from(TILE_WIDTH))
                    .min(u64::from(TILE_WIDTH));
                let tile = TilePath {
                    kind: TileKind::Hashes { level: tile_level },
                    index: tile_index,
                    width: width as u16,
                };
                let bytes = fetch_tile(&tile, fetch)?;
                self.hash_tiles += 1;
                (tile, bytes)
            }
        };
        let offset = (index % u64::from(TILE_WIDTH)) as usize * HASH_LEN;
        let published = bytes
            .get(offset..offset + HASH_LEN)
            .map(to_hash)
            .ok_or_else(|| TileVerifyError::Malformed {
                path: tile,
                reason: "it is too short for the tree size".to_owned(),
            })?;
        self.open_tiles[slot] = Some((tile, bytes));
        Ok((tile, published))
    }

    /// The verification, and the prefix roots, which the entries' reproducing the checkpoint
    /// root makes trustworthy.
    fn finish(
        self,
        root: &Hash,
    ) -> Result<(TileVerification, BTreeMap<u64, Hash>), TileVerifyError> {
        let entries_root = self.entries_tree.root();
        if entries_root == *root {
            if let Some((path, position)) = self.first_tile_mismatch {
                return Err(TileVerifyError::TileMismatch { path, position });
            }
            let verified = TileVerification {
                entries: self.size,
                entry_bundles: self.entry_bundles,
                hash_tiles: self.hash_tiles,
            };
            return Ok((verified, self.prefix_roots));
        }
        let tiles_root = self
            .tiles_tree
            .as_ref()
            .map_or(entries_root, Frontier::root);
        if tiles_root == *root
            && let Some((index, tile)) = self.first_entry_mismatch
        {
            return Err(TileVerifyError::EntryMismatch { index, tile });
        }
        Err(TileVerifyError::RootMismatch {
            first_entry_disagreement: self.first_entry_mismatch.map(|(index, _)| index),
            first_tile_disagreement: self.first_tile_mismatch,
        })
    }
}

fn fetch_tile(
    tile: &TilePath,
    fetch: &mut impl FnMut(&TilePath) -> Option<Vec<u8>>,
) -> Result<Vec<u8>, TileVerifyError> {
    let bytes = fetch(tile).ok_or(TileVerifyError::Missing(*tile))?;
    let expected = usize::from(tile.width) * HASH_LEN;
    if bytes.len() != expected {
        return Err(TileVerifyError::Malformed {
            path: *tile,
            reason: format!("it is {} bytes long, expected {expected}", bytes.len()),
        });
    }
    Ok(bytes)
}

fn to_hash(bytes: &[u8]) -> Hash {
    let mut hash = [0u8; HASH_LEN];
    // Cannot panic: callers pass `HASH_LEN`-byte slices.
    hash.copy_from_slice(bytes);
    hash
}

/// Index `N` as zero-padded 3-digit groups, all but the last prefixed `x`.
fn encode_tile_index(index: u64) -> String {
    let mut groups = vec![index % 1000];
    let mut rest = index / 1000;
    while rest > 0 {
        groups.push(rest % 1000);
        rest /= 1000;
    }
    let last = groups.len() - 1;
    groups
        .iter()
        .rev()
        .enumerate()
        .map(|(position, group)| {
            if position < last {
                format!("x{group:03}")
            } else {
                format!("{group:03}")
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

fn decode_tile_index(encoded: &str) -> Option<u64> {
    let groups: Vec<&str> = encoded.split('/').collect();
    let (last, leading) = groups.split_last()?;
    let mut index: u64 = 0;
    for (position, group) in leading.iter().enumerate() {
        let digits = group.strip_prefix('x')?;
        let value = parse_three_digits(digits)?;
        // `x000/` in front would be a second spelling of the same index.
        if position == 0 && value == 0 {
            return None;
        }
        index = index.checked_mul(1000)?.checked_add(value)?;
    }
    index
        .checked_mul(1000)?
        .checked_add(parse_three_digits(last)?)
}

fn parse_three_digits(text: &str) -> Option<u64> {
    if text.len() != 3 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

fn parse_canonical_decimal(text: &str, max: u64) -> Option<u64> {
    let canonical = !text.is_empty()
        && text.bytes().all(|b| b.is_ascii_digit())
        && (text == "0" || !text.starts_with('0'));
    if !canonical {
        return None;
    }
    text.parse().ok().filter(|&value| value <= max)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::merkle::MemoryTree;
    use std::collections::HashMap;

    fn path(text: &str) -> TilePath {
        text.parse().unwrap()
    }

    /// The whole export verified, without prefixes.
    fn verify_tiles(
        size: u64,
        root: &Hash,
        fetch: impl FnMut(&TilePath) -> Option<Vec<u8>>,
    ) -> Result<TileVerification, TileVerifyError> {
        verify_tiles_and_prefixes(Suite::Intl2024, size, root, &BTreeSet::new(), fetch)
            .map(|(verified, _)| verified)
    }

    struct Export {
        entries: Vec<Vec<u8>>,
        root: Hash,
        files: HashMap<String, Vec<u8>>,
    }

    impl Export {
        fn new(size: u64) -> Self {
            let entries: Vec<Vec<u8>> = (0..size)
                .map(|i| format!("entry number {i}").into_bytes())
                .collect();
            let mut tree = MemoryTree::new(Suite::Intl2024);
            for entry in &entries {
                tree.append(entry).unwrap();
            }
            let mut files = HashMap::new();
            for tile in hash_tiles_for_tree(size) {
                let stored = tree.lookup(&tile_needs(&tile).unwrap());
                files.insert(tile.to_string(), build_hash_tile(&tile, &stored).unwrap());
            }
            for bundle in entry_bundles_for_tree(size) {
                let (start, end) = bundle.leaf_range();
                let slice = &entries[start as usize..end as usize];
                let encoded = encode_entry_bundle(slice.iter().map(Vec::as_slice)).unwrap();
                files.insert(bundle.to_string(), encoded);
            }
            Self {
                entries,
                root: tree.root(),
                files,
            }
        }

        fn verify(&self) -> Result<TileVerification, TileVerifyError> {
            self.verify_against(&self.root)
        }

        fn verify_against(&self, root: &Hash) -> Result<TileVerification, TileVerifyError> {
            verify_tiles(self.entries.len() as u64, root, |tile| {
                self.files.get(&tile.to_string()).cloned()
            })
        }

        fn flip(&mut self, file: &str, byte: usize) {
            self.files.get_mut(file).unwrap()[byte] ^= 0x01;
        }

        /// Byte offset of the first data byte of `entry` in its bundle.
        fn entry_offset(&self, entry: usize) -> (String, usize) {
            let bundle = entry_bundles_for_tree(self.entries.len() as u64)
                .nth(entry / 256)
                .unwrap();
            let first = entry / 256 * 256;
            let offset: usize = self.entries[first..entry].iter().map(|e| e.len() + 2).sum();
            (bundle.to_string(), offset + 2)
        }
    }

    #[test]
    fn paths_encode_as_in_the_spec() {
        assert_eq!(
            TilePath::hashes(0, 1_234_067, 256).unwrap().to_string(),
            "tile/0/x001/x234/067"
        );
        assert_eq!(
            TilePath::hashes(1, 0, 256).unwrap().to_string(),
            "tile/1/000"
        );
        assert_eq!(
            TilePath::hashes(2, 1000, 17).unwrap().to_string(),
            "tile/2/x001/000.p/17"
        );
        assert_eq!(
            TilePath::entries(5, 256).unwrap().to_string(),
            "tile/entries/005"
        );
        assert_eq!(
            TilePath::entries(1_002, 1).unwrap().to_string(),
            "tile/entries/x001/002.p/1"
        );
        let biggest = (u64::MAX - 255) / 256;
        let last = TilePath::entries(biggest, 255).unwrap();
        assert_eq!(
            last.to_string(),
            "tile/entries/x072/x057/x594/x037/x927/935.p/255"
        );
        assert_eq!(path(&last.to_string()), last);
        assert!(TilePath::entries(biggest, 256).is_err());
    }

    #[test]
    fn paths_parse_canonically_or_not_at_all() {
        for text in [
            "tile/0/000",
            "tile/0/x001/x234/067",
            "tile/7/000.p/255",
            "tile/entries/x001/002.p/1",
            "tile/3/999",
        ] {
            assert_eq!(path(text).to_string(), text);
        }
        assert_eq!(path("tile/0/x001/x234/067").index(), 1_234_067);
        assert_eq!(
            path("tile/3/012.p/40").kind(),
            TileKind::Hashes { level: 3 }
        );
        for text in [
            "tile/0/5",
            "tile/0/0005",
            "tile/0/x000/005",
            "tile/0/001/002",
            "tile/0/x001",
            "tile/0/x1000/000",
            "tile/0/x01/000",
            "tile/00/000",
            "tile/-1/000",
            "tile/64/000",
            "tile/8/000",
            "tile/0/000.p/256",
            "tile/0/000.p/0",
            "tile/0/000.p/017",
            "tile/0/000.p/",
            "tile/0/000.p/1/",
            "tile/0/000/",
            "tile/entries/000.p/1.p/2",
            "tile/entry/000",
            "tiles/0/000",
            "/tile/0/000",
            "tile/0/",
            "tile/0/x018/x446/x744/x073/x709/x551/616",
        ] {
            assert!(text.parse::<TilePath>().is_err(), "accepted {text:?}");
        }
        assert_eq!(
            "tile/8/000".parse::<TilePath>(),
            Err(TileError::LevelTooHigh(8))
        );
    }

    #[test]
    fn tiles_for_the_spec_examples() {
        let tiles: Vec<String> = hash_tiles_for_tree(70_000).map(|t| t.to_string()).collect();
        assert_eq!(tiles.len(), 273 + 1 + 1 + 1 + 1);
        assert_eq!(tiles[272], "tile/0/272");
        assert_eq!(tiles[273], "tile/0/273.p/112");
        assert_eq!(
            tiles[274..],
            ["tile/1/000", "tile/1/001.p/17", "tile/2/000.p/1"]
        );
        let tiles: Vec<String> = hash_tiles_for_tree(256).map(|t| t.to_string()).collect();
        assert_eq!(tiles, ["tile/0/000", "tile/1/000.p/1"]);
        assert_eq!(hash_tiles_for_tree(0).count(), 0);
        let bundles: Vec<String> = entry_bundles_for_tree(513).map(|t| t.to_string()).collect();
        assert_eq!(
            bundles,
            [
                "tile/entries/000",
                "tile/entries/001",
                "tile/entries/002.p/1"
            ]
        );
        // The first tree tall enough to need a level-3 tile (iterating a u64::MAX tree would
        // take forever without optimisation).
        assert_eq!(
            hash_tiles_for_tree((1 << 24) + 1)
                .last()
                .unwrap()
                .to_string(),
            "tile/3/000.p/1"
        );
    }

    #[test]
    fn tile_hashes_are_subtree_roots_as_the_spec_defines() {
        let export = Export::new(70_000);
        for (text, hash_index) in [
            ("tile/1/001.p/17", 16usize),
            ("tile/2/000.p/1", 0),
            ("tile/0/273.p/112", 111),
        ] {
            let tile = path(text);
            let bytes = &export.files[text];
            assert_eq!(bytes.len(), usize::from(tile.width()) * HASH_LEN);
            let TileKind::Hashes { level } = tile.kind() else {
                unreachable!()
            };
            let span = 256usize.pow(u32::from(level));
            let start = (tile.index() as usize * 256 + hash_index) * span;
            let mut subtree = MemoryTree::new(Suite::Intl2024);
            for entry in &export.entries[start..start + span] {
                subtree.append(entry).unwrap();
            }
            assert_eq!(
                &bytes[hash_index * 32..(hash_index + 1) * 32],
                &subtree.root()
            );
        }
        assert_eq!(
            build_hash_tile(&path("tile/1/000"), &StoredHashes::new()),
            Err(TileError::Merkle(MerkleError::MissingNode {
                level: 8,
                index: 0
            }))
        );
        assert_eq!(
            tile_needs(&path("tile/entries/000")),
            Err(TileError::NotAHashTile)
        );
        assert_eq!(
            tile_needs(&path("tile/1/002.p/2")).unwrap(),
            vec![(8, 512), (8, 513)]
        );
    }

    #[test]
    fn entry_bundles_round_trip_and_reject_malformed_bytes() {
        let entries: Vec<&[u8]> = vec![b"", b"a", &[0u8; 300], b"last"];
        let bundle = encode_entry_bundle(entries.iter().copied()).unwrap();
        assert_eq!(&bundle[..5], &[0, 0, 0, 1, b'a']);
        assert_eq!(decode_entry_bundle(&bundle).unwrap(), entries);
        assert_eq!(decode_entry_bundle(&[]).unwrap(), Vec::<&[u8]>::new());
        assert_eq!(
            decode_entry_bundle(&bundle[..bundle.len() - 1]),
            Err(TileError::TruncatedBundle { offset: 307 })
        );
        assert_eq!(
            decode_entry_bundle(&[0]),
            Err(TileError::TruncatedBundle { offset: 0 })
        );
        let too_many = vec![0u8; 2 * 257];
        assert_eq!(
            decode_entry_bundle(&too_many),
            Err(TileError::TooManyEntries)
        );
        assert_eq!(decode_entry_bundle(&too_many[..512]).unwrap().len(), 256);
        let huge = vec![0u8; MAX_ENTRY_LEN + 1];
        assert_eq!(
            encode_entry_bundle([huge.as_slice()]),
            Err(TileError::EntryTooLarge {
                index: 0,
                len: MAX_ENTRY_LEN + 1
            })
        );
        assert!(encode_entry_bundle(std::iter::repeat_n(&b"x"[..], 257)).is_err());
    }

    #[test]
    fn complete_exports_verify() {
        for size in [0, 1, 2, 255, 256, 257, 1000, 65_536, 70_000] {
            let export = Export::new(size);
            let summary = export.verify().unwrap();
            assert_eq!(summary.entries, size);
            assert_eq!(
                summary.entry_bundles,
                entry_bundles_for_tree(size).count() as u64
            );
            assert_eq!(
                summary.hash_tiles,
                hash_tiles_for_tree(size).count() as u64,
                "size {size}"
            );
        }
    }

    #[test]
    fn a_changed_entry_is_named() {
        let mut export = Export::new(70_000);
        for entry in [0usize, 12_345, 69_999] {
            let (bundle, offset) = export.entry_offset(entry);
            export.flip(&bundle, offset + 3);
            let error = export.verify().unwrap_err();
            assert!(
                matches!(error, TileVerifyError::EntryMismatch { index, .. } if index == entry as u64),
                "{error}"
            );
            assert!(
                error
                    .to_string()
                    .starts_with(&format!("entry {entry} does not match"))
            );
            export.flip(&bundle, offset + 3);
        }
        export.verify().unwrap();
    }

    #[test]
    fn a_changed_tile_is_named() {
        let mut export = Export::new(70_000);
        for (tile, byte) in [
            ("tile/0/000", 0usize),
            ("tile/0/048", 8191),
            ("tile/0/273.p/112", 40),
            ("tile/1/000", 100),
            ("tile/1/001.p/17", 32 * 16),
            ("tile/2/000.p/1", 31),
        ] {
            export.flip(tile, byte);
            let error = export.verify().unwrap_err();
            assert_eq!(
                error,
                TileVerifyError::TileMismatch {
                    path: path(tile),
                    position: (byte / 32) as u16
                }
            );
            assert!(
                error
                    .to_string()
                    .starts_with(&format!("tile {tile} does not match"))
            );
            export.flip(tile, byte);
        }
    }

    #[test]
    fn structural_problems_are_named() {
        let mut export = Export::new(600);
        let removed = export.files.remove("tile/1/000.p/2").unwrap();
        assert_eq!(
            export.verify(),
            Err(TileVerifyError::Missing(path("tile/1/000.p/2")))
        );
        export
            .files
            .insert("tile/1/000.p/2".into(), removed[..32].to_vec());
        assert!(
            matches!(export.verify(), Err(TileVerifyError::Malformed { path: p, .. }) if p == path("tile/1/000.p/2"))
        );
        export.files.insert("tile/1/000.p/2".into(), removed);

        let bundle = export.files.get_mut("tile/entries/001").unwrap();
        bundle.truncate(bundle.len() - 1);
        let error = export.verify().unwrap_err();
        assert!(
            matches!(error, TileVerifyError::Malformed { path: p, .. } if p == path("tile/entries/001")),
            "{error}"
        );
        let export = Export::new(600);
        let mut short = export.files.clone();
        let bundle = short.get_mut("tile/entries/002.p/88").unwrap();
        let first_len = usize::from(u16::from_be_bytes([bundle[0], bundle[1]])) + 2;
        bundle.drain(..first_len);
        let error =
            verify_tiles(600, &export.root, |t| short.get(&t.to_string()).cloned()).unwrap_err();
        assert!(
            error.to_string().contains("holds 87 entries, expected 88"),
            "{error}"
        );
    }

    #[test]
    fn a_wrong_root_blames_neither_side_falsely() {
        let mut export = Export::new(1000);
        let mut wrong = export.root;
        wrong[0] ^= 1;
        assert_eq!(
            export.verify_against(&wrong),
            Err(TileVerifyError::RootMismatch {
                first_entry_disagreement: None,
                first_tile_disagreement: None
            })
        );
        // Entry and leaf tile rewritten together: the level-1 tile still
        // pins down which 256 entries are affected.
        let (bundle, offset) = export.entry_offset(300);
        export.flip(&bundle, offset);
        let forged_leaf = merkle::leaf_hash(
            Suite::Intl2024,
            decode_entry_bundle(&export.files[&bundle]).unwrap()[44],
        );
        export.files.get_mut("tile/0/001").unwrap()[44 * 32..45 * 32].copy_from_slice(&forged_leaf);
        let error = export.verify().unwrap_err();
        assert_eq!(
            error,
            TileVerifyError::RootMismatch {
                first_entry_disagreement: None,
                first_tile_disagreement: Some((path("tile/1/000.p/3"), 1)),
            }
        );
        assert!(
            error.to_string().contains("tile/1/000.p/3 hash 1"),
            "{error}"
        );
    }
}
