//! RFC 6962 Merkle tree: hashing, the append frontier, proof generation from
//! stored hashes, and proof verification (RFC 9162 §2.1.3.2 and §2.1.4.2).
//!
//! Storage model: the log stores every *complete* subtree exactly once, keyed
//! by `(level, index)`, where node `(l, i)` is the Merkle Tree Hash of leaves
//! `[i·2^l, (i+1)·2^l)` and level 0 holds the leaf hashes. A complete subtree
//! never changes once it exists, so the store is append-only, and every
//! subtree hash RFC 6962 refers to (for any earlier tree size) is a right fold
//! of at most 64 complete subtrees. That is what lets the functions below
//! answer any proof or historical root from stored rows without recomputing
//! from the entries.

use std::collections::HashMap;

use crate::crypto::Suite;

/// A SHA-256 output: leaf hash, interior node hash or tree root.
pub type Hash = [u8; 32];

/// `(level, index)` of a complete subtree; see the module documentation.
pub(crate) type NodeId = (u8, u64);

/// Stored complete-subtree hashes, as fetched for the ids a `*_needs` call named.
pub(crate) type StoredHashes = HashMap<NodeId, Hash>;

/// A hash that must be persisted: `(level, index, hash)`.
pub(crate) type NewNode = (u8, u64, Hash);

/// Length in bytes of every hash in this module.
pub(crate) const HASH_LEN: usize = 32;

/// A tree holding `u64::MAX` leaves is full: one more leaf would make its size
/// unrepresentable in a checkpoint.
const MAX_TREE_SIZE: u64 = u64::MAX;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MerkleError {
    #[error("leaf index {index} is outside a tree of size {size}")]
    IndexOutOfRange { index: u64, size: u64 },
    #[error("old tree size {old_size} is larger than new tree size {new_size}")]
    SizesOutOfOrder { old_size: u64, new_size: u64 },
    #[error("tree size {requested} is beyond the {available} leaves the tree holds")]
    BeyondTree { requested: u64, available: u64 },
    #[error("stored hash of node (level {level}, index {index}) was not supplied")]
    MissingNode { level: u8, index: u64 },
    #[error("the tree is full: it cannot grow beyond {MAX_TREE_SIZE} leaves")]
    TreeFull,
    #[error("frontier encoding is malformed: {0}")]
    MalformedFrontier(&'static str),
    #[error("proof is too long: it has hashes left over after reaching the root")]
    ProofTooLong,
    #[error("proof is too short: it ends before reaching the root")]
    ProofTooShort,
    #[error("proof does not lead to the expected root hash")]
    RootMismatch,
    #[error("consistency proof does not reproduce the old root hash")]
    OldRootMismatch,
    #[error("consistency proof does not reproduce the new root hash")]
    NewRootMismatch,
}

/// RFC 6962 leaf hash: H(0x00 ‖ entry), H the suite's hash (SHA-256, or SM3 in the national
/// suite). The prefix keeps a leaf from ever being confused with an interior node
/// (second-preimage resistance).
pub fn leaf_hash(suite: Suite, entry: &[u8]) -> Hash {
    let mut hasher = suite.hasher();
    hasher.update(&[0x00]);
    hasher.update(entry);
    hasher.finish()
}

/// RFC 6962 interior node hash: H(0x01 ‖ left ‖ right).
pub(crate) fn node_hash(suite: Suite, left: &Hash, right: &Hash) -> Hash {
    let mut input = [0u8; 1 + 2 * HASH_LEN];
    input[0] = 0x01;
    input[1..1 + HASH_LEN].copy_from_slice(left);
    input[1 + HASH_LEN..].copy_from_slice(right);
    suite.hash(&input)
}

/// RFC 6962 Merkle Tree Hash of a whole list of leaf hashes, in one pass per level: adjacent
/// pairs are hashed and a level's odd last node moves up unchanged, which builds exactly the
/// tree whose left subtree is the largest power of two below the size. For a list held in
/// memory (a draw's eligible tokens): no frontier, no per-leaf allocation.
pub(crate) fn root_of_leaves(suite: Suite, mut level: Vec<Hash>) -> Hash {
    if level.is_empty() {
        return empty_root(suite);
    }
    while level.len() > 1 {
        let pairs = level.len() / 2;
        for i in 0..pairs {
            level[i] = node_hash(suite, &level[2 * i], &level[2 * i + 1]);
        }
        if level.len() % 2 == 1 {
            level[pairs] = level[level.len() - 1];
            level.truncate(pairs + 1);
        } else {
            level.truncate(pairs);
        }
    }
    level[0]
}

/// Root of the empty tree: the hash of the empty string (RFC 6962 §2.1).
pub(crate) fn empty_root(suite: Suite) -> Hash {
    suite.hash(b"")
}

/// The right edge of a tree: the roots of the complete subtrees a tree of
/// `size` leaves decomposes into, one per set bit of `size`, largest first.
/// It is all the state needed to append a leaf and to compute the root, so the
/// log can keep it in a single row instead of re-reading the tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frontier {
    suite: Suite,
    size: u64,
    /// `subtree_roots[k]` has the level of the k-th highest set bit of `size`.
    subtree_roots: Vec<Hash>,
}

impl Frontier {
    /// The frontier of the empty tree.
    pub(crate) fn new(suite: Suite) -> Self {
        Self {
            suite,
            size: 0,
            subtree_roots: Vec::new(),
        }
    }

    /// Number of leaves in the tree.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Root hash of the current tree (RFC 6962 MTH).
    pub fn root(&self) -> Hash {
        fold_subtree_roots(self.suite, &self.subtree_roots)
    }

    /// Appends a leaf hash and returns every node the append completed, leaf
    /// first, each of which must be persisted so that later proofs and tiles
    /// can be served. Costs one hash per returned interior node: O(log n).
    pub fn append(&mut self, leaf: Hash) -> Result<Vec<NewNode>, MerkleError> {
        if self.size == MAX_TREE_SIZE {
            return Err(MerkleError::TreeFull);
        }
        let leaf_index = self.size;
        let mut completed = vec![(0, leaf_index, leaf)];
        // Each trailing one bit of the old size is a complete subtree of the
        // same height as the one being carried, so the two merge.
        let merges = leaf_index.trailing_ones();
        let mut carried = leaf;
        for level in 1..=merges {
            let Some(left) = self.subtree_roots.pop() else {
                // Unreachable: there is one stored root per set bit of `size`.
                return Err(MerkleError::MalformedFrontier(
                    "fewer subtree roots than set bits in the size",
                ));
            };
            carried = node_hash(self.suite, &left, &carried);
            // `leaf_index` < u64::MAX has at most 63 trailing ones, so the
            // shift stays in range.
            completed.push((level as u8, leaf_index >> level, carried));
        }
        self.subtree_roots.push(carried);
        self.size = leaf_index + 1;
        Ok(completed)
    }

    /// Serialises as the size (u64 big-endian) followed by the subtree roots,
    /// largest first. The levels are implied by the size's set bits.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(8 + HASH_LEN * self.subtree_roots.len());
        bytes.extend_from_slice(&self.size.to_be_bytes());
        for root in &self.subtree_roots {
            bytes.extend_from_slice(root);
        }
        bytes
    }

    /// Inverse of [`Frontier::to_bytes`]; the length must match the size exactly. The suite
    /// is the log's, not stored with each frontier.
    pub(crate) fn from_bytes(suite: Suite, bytes: &[u8]) -> Result<Self, MerkleError> {
        let (size_bytes, hashes) =
            bytes
                .split_first_chunk::<8>()
                .ok_or(MerkleError::MalformedFrontier(
                    "shorter than the 8-byte size",
                ))?;
        let size = u64::from_be_bytes(*size_bytes);
        if hashes.len() != HASH_LEN * size.count_ones() as usize {
            return Err(MerkleError::MalformedFrontier(
                "hash count does not match the number of set bits in the size",
            ));
        }
        let subtree_roots = hashes
            .chunks_exact(HASH_LEN)
            .map(|chunk| {
                let mut hash = [0u8; HASH_LEN];
                hash.copy_from_slice(chunk);
                hash
            })
            .collect();
        Ok(Self {
            suite,
            size,
            subtree_roots,
        })
    }

    /// Rebuilds the frontier of an earlier (or the current) tree size from
    /// stored nodes, e.g. to cross-check the frontier row against the node
    /// table. Fetch [`tree_root_needs`]`(size)` first.
    pub fn from_stored(
        suite: Suite,
        size: u64,
        stored: &StoredHashes,
    ) -> Result<Self, MerkleError> {
        let subtree_roots = lookup_all(Span::whole_tree(size).complete_subtrees(), stored)?;
        Ok(Self {
            suite,
            size,
            subtree_roots,
        })
    }
}

/// Node ids needed by [`inclusion_proof`].
pub(crate) fn inclusion_proof_needs(index: u64, size: u64) -> Result<Vec<NodeId>, MerkleError> {
    Ok(needs_of(&inclusion_spans(index, size)?))
}

/// RFC 6962 §2.1.1 audit path for leaf `index` in the tree of `size` leaves,
/// ordered from the leaf's sibling up to the root's child.
pub fn inclusion_proof(
    suite: Suite,
    index: u64,
    size: u64,
    stored: &StoredHashes,
) -> Result<Vec<Hash>, MerkleError> {
    hashes_of(suite, &inclusion_spans(index, size)?, stored)
}

/// Node ids needed by [`consistency_proof`].
pub(crate) fn consistency_proof_needs(
    old_size: u64,
    new_size: u64,
) -> Result<Vec<NodeId>, MerkleError> {
    Ok(needs_of(&consistency_spans(old_size, new_size)?))
}

/// RFC 6962 §2.1.2 consistency proof between tree sizes `old_size` and
/// `new_size`. Empty when `old_size` is 0 or equals `new_size`, as there is
/// nothing to prove.
pub(crate) fn consistency_proof(
    suite: Suite,
    old_size: u64,
    new_size: u64,
    stored: &StoredHashes,
) -> Result<Vec<Hash>, MerkleError> {
    hashes_of(suite, &consistency_spans(old_size, new_size)?, stored)
}

/// Node ids needed by [`tree_root`].
pub fn tree_root_needs(size: u64) -> Vec<NodeId> {
    Span::whole_tree(size).complete_subtrees().collect()
}

/// Root hash of the tree as it was at `size` leaves.
pub(crate) fn tree_root(
    suite: Suite,
    size: u64,
    stored: &StoredHashes,
) -> Result<Hash, MerkleError> {
    Span::whole_tree(size).hash(suite, stored)
}

/// Checks an inclusion proof as specified in RFC 9162 §2.1.3.2.
pub(crate) fn verify_inclusion(
    suite: Suite,
    leaf: &Hash,
    index: u64,
    size: u64,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), MerkleError> {
    if index >= size {
        return Err(MerkleError::IndexOutOfRange { index, size });
    }
    // `position` and `last` walk up the tree as the node index of the running
    // hash and of the tree's last node at the current level.
    let mut position = index;
    let mut last = size - 1;
    let mut running = *leaf;
    for sibling in proof {
        if last == 0 {
            return Err(MerkleError::ProofTooLong);
        }
        if position & 1 == 1 || position == last {
            running = node_hash(suite, sibling, &running);
            // The last node of a level, if it is a left child, has no
            // sibling: it is promoted unchanged until it becomes a right
            // child, where `sibling` is its left sibling. The promotions add
            // no hash, so skip those levels.
            while position & 1 == 0 && position != 0 {
                position >>= 1;
                last >>= 1;
            }
        } else {
            running = node_hash(suite, &running, sibling);
        }
        position >>= 1;
        last >>= 1;
    }
    if last != 0 {
        return Err(MerkleError::ProofTooShort);
    }
    if running != *root {
        return Err(MerkleError::RootMismatch);
    }
    Ok(())
}

/// Checks that the tree with `new_root` is an append-only extension of the
/// tree with `old_root`, as specified in RFC 9162 §2.1.4.2. An empty old tree
/// is consistent with everything and takes an empty proof; so does an
/// unchanged tree, whose roots must then be equal.
pub(crate) fn verify_consistency(
    suite: Suite,
    old_size: u64,
    new_size: u64,
    old_root: &Hash,
    new_root: &Hash,
    proof: &[Hash],
) -> Result<(), MerkleError> {
    if old_size > new_size {
        return Err(MerkleError::SizesOutOfOrder { old_size, new_size });
    }
    if old_size == 0 || old_size == new_size {
        if !proof.is_empty() {
            return Err(MerkleError::ProofTooLong);
        }
        let expected_old_root = if old_size == 0 {
            empty_root(suite)
        } else {
            *new_root
        };
        if *old_root != expected_old_root {
            return Err(MerkleError::OldRootMismatch);
        }
        return Ok(());
    }

    let mut hashes = proof.iter();
    // When the old tree is a complete subtree of the new one, the proof omits
    // it because the verifier already holds it: its root.
    let seed = if old_size.is_power_of_two() {
        *old_root
    } else {
        *hashes.next().ok_or(MerkleError::ProofTooShort)?
    };
    let mut position = old_size - 1;
    let mut last = new_size - 1;
    // Levels where the old tree's last node is a right child are inside the
    // seed subtree already.
    while position & 1 == 1 {
        position >>= 1;
        last >>= 1;
    }
    // The same walk as in `verify_inclusion`, carrying both roots: left
    // siblings are inside the old tree, right siblings only in the new one.
    let mut old_running = seed;
    let mut new_running = seed;
    for sibling in hashes {
        if last == 0 {
            return Err(MerkleError::ProofTooLong);
        }
        if position & 1 == 1 || position == last {
            old_running = node_hash(suite, sibling, &old_running);
            new_running = node_hash(suite, sibling, &new_running);
            while position & 1 == 0 && position != 0 {
                position >>= 1;
                last >>= 1;
            }
        } else {
            new_running = node_hash(suite, &new_running, sibling);
        }
        position >>= 1;
        last >>= 1;
    }
    if last != 0 {
        return Err(MerkleError::ProofTooShort);
    }
    if old_running != *old_root {
        return Err(MerkleError::OldRootMismatch);
    }
    if new_running != *new_root {
        return Err(MerkleError::NewRootMismatch);
    }
    Ok(())
}

/// An in-memory log holding every complete subtree hash, for tests,
/// benchmarks and offline verification. It goes through the same frontier
/// and stored-hash proof functions as the database-backed log.
#[derive(Debug, Clone)]
pub struct MemoryTree {
    frontier: Frontier,
    /// `levels[l][i]` is node `(l, i)`.
    levels: Vec<Vec<Hash>>,
}

impl MemoryTree {
    pub fn new(suite: Suite) -> Self {
        Self {
            frontier: Frontier::new(suite),
            levels: Vec::new(),
        }
    }

    pub fn suite(&self) -> Suite {
        self.frontier.suite
    }

    pub fn size(&self) -> u64 {
        self.frontier.size()
    }

    pub fn root(&self) -> Hash {
        self.frontier.root()
    }

    pub fn frontier(&self) -> &Frontier {
        &self.frontier
    }

    /// Appends an entry and returns its index.
    pub fn append(&mut self, entry: &[u8]) -> Result<u64, MerkleError> {
        self.append_leaf_hash(leaf_hash(self.suite(), entry))
    }

    /// Appends an already computed leaf hash and returns its index.
    pub(crate) fn append_leaf_hash(&mut self, leaf: Hash) -> Result<u64, MerkleError> {
        let index = self.frontier.size();
        for (level, node_index, hash) in self.frontier.append(leaf)? {
            let level = usize::from(level);
            if self.levels.len() <= level {
                self.levels.resize_with(level + 1, Vec::new);
            }
            // Nodes of one level complete strictly left to right, so each new
            // node lands exactly at the end of its level.
            debug_assert_eq!(self.levels[level].len() as u64, node_index);
            self.levels[level].push(hash);
        }
        Ok(index)
    }

    /// The stored hash of node `(level, index)`, if that subtree is complete.
    pub(crate) fn node(&self, level: u8, index: u64) -> Option<Hash> {
        let row = self.levels.get(usize::from(level))?;
        row.get(usize::try_from(index).ok()?).copied()
    }

    /// What a database query for `needs` returns: the subset that exists.
    pub(crate) fn lookup(&self, needs: &[NodeId]) -> StoredHashes {
        needs
            .iter()
            .filter_map(|&(level, index)| Some(((level, index), self.node(level, index)?)))
            .collect()
    }

    pub fn root_at(&self, size: u64) -> Result<Hash, MerkleError> {
        self.check_size(size)?;
        tree_root(self.suite(), size, &self.lookup(&tree_root_needs(size)))
    }

    pub fn inclusion_proof(&self, index: u64, size: u64) -> Result<Vec<Hash>, MerkleError> {
        self.check_size(size)?;
        let needs = inclusion_proof_needs(index, size)?;
        inclusion_proof(self.suite(), index, size, &self.lookup(&needs))
    }

    pub fn consistency_proof(
        &self,
        old_size: u64,
        new_size: u64,
    ) -> Result<Vec<Hash>, MerkleError> {
        self.check_size(new_size)?;
        let needs = consistency_proof_needs(old_size, new_size)?;
        consistency_proof(self.suite(), old_size, new_size, &self.lookup(&needs))
    }

    fn check_size(&self, size: u64) -> Result<(), MerkleError> {
        if size > self.size() {
            return Err(MerkleError::BeyondTree {
                requested: size,
                available: self.size(),
            });
        }
        Ok(())
    }
}

/// Root hash of consecutive complete subtrees given largest first, as RFC 6962
/// splits a tree: each subtree is the left child of everything to its right.
fn fold_subtree_roots(suite: Suite, roots: &[Hash]) -> Hash {
    let mut rest = roots.iter().rev();
    let Some(last) = rest.next() else {
        return empty_root(suite);
    };
    rest.fold(*last, |right, left| node_hash(suite, left, &right))
}

/// The leaves `[start, end)` of a subtree that RFC 6962's recursion produces.
///
/// Invariant (holds for every span built in this module): `start` is a
/// multiple of a power of two that is at least `end - start`. Such a span is
/// made of the complete subtrees given by the binary expansion of its length,
/// largest first, each aligned to its own size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Span {
    start: u64,
    end: u64,
}

impl Span {
    fn whole_tree(size: u64) -> Self {
        Self {
            start: 0,
            end: size,
        }
    }

    fn len(self) -> u64 {
        self.end - self.start
    }

    fn complete_subtrees(self) -> impl Iterator<Item = NodeId> {
        let mut start = self.start;
        std::iter::from_fn(move || {
            if start >= self.end {
                return None;
            }
            let level = (self.end - start).ilog2();
            debug_assert_eq!(start % (1u64 << level), 0, "span not aligned");
            let id = (level as u8, start >> level);
            start += 1u64 << level;
            Some(id)
        })
    }

    fn hash(self, suite: Suite, stored: &StoredHashes) -> Result<Hash, MerkleError> {
        Ok(fold_subtree_roots(
            suite,
            &lookup_all(self.complete_subtrees(), stored)?,
        ))
    }
}

/// Largest power of two strictly below `n`, the left subtree size RFC 6962 uses
/// when splitting `n > 1` leaves.
fn split_point(n: u64) -> u64 {
    debug_assert!(n > 1);
    1u64 << (n - 1).ilog2()
}

/// The subtrees whose hashes form RFC 6962's PATH(index, D[0:size]), ordered
/// leaf-side first.
fn inclusion_spans(index: u64, size: u64) -> Result<Vec<Span>, MerkleError> {
    if index >= size {
        return Err(MerkleError::IndexOutOfRange { index, size });
    }
    let mut spans = Vec::new();
    let mut current = Span::whole_tree(size);
    while current.len() > 1 {
        let middle = current.start + split_point(current.len());
        if index < middle {
            spans.push(Span {
                start: middle,
                end: current.end,
            });
            current.end = middle;
        } else {
            spans.push(Span {
                start: current.start,
                end: middle,
            });
            current.start = middle;
        }
    }
    // Built root-side first while descending; proofs are read leaf-side first.
    spans.reverse();
    Ok(spans)
}

/// The subtrees whose hashes form RFC 6962's PROOF(old_size, D[0:new_size]),
/// ordered leaf-side first.
fn consistency_spans(old_size: u64, new_size: u64) -> Result<Vec<Span>, MerkleError> {
    if old_size > new_size {
        return Err(MerkleError::SizesOutOfOrder { old_size, new_size });
    }
    let mut spans = Vec::new();
    if old_size == 0 || old_size == new_size {
        return Ok(spans);
    }
    let mut current = Span::whole_tree(new_size);
    // RFC 6962's SUBPROOF flag: whether `current` is still the old tree's
    // left edge, whose hash the verifier can derive on its own.
    let mut on_old_left_edge = true;
    while old_size != current.end {
        let middle = current.start + split_point(current.len());
        if old_size <= middle {
            spans.push(Span {
                start: middle,
                end: current.end,
            });
            current.end = middle;
        } else {
            spans.push(Span {
                start: current.start,
                end: middle,
            });
            current.start = middle;
            on_old_left_edge = false;
        }
    }
    if !on_old_left_edge {
        spans.push(current);
    }
    spans.reverse();
    Ok(spans)
}

fn needs_of(spans: &[Span]) -> Vec<NodeId> {
    spans
        .iter()
        .flat_map(|span| span.complete_subtrees())
        .collect()
}

fn hashes_of(
    suite: Suite,
    spans: &[Span],
    stored: &StoredHashes,
) -> Result<Vec<Hash>, MerkleError> {
    spans.iter().map(|span| span.hash(suite, stored)).collect()
}

fn lookup_all(
    ids: impl Iterator<Item = NodeId>,
    stored: &StoredHashes,
) -> Result<Vec<Hash>, MerkleError> {
    ids.map(|(level, index)| {
        stored
            .get(&(level, index))
            .copied()
            .ok_or(MerkleError::MissingNode { level, index })
    })
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::sync::OnceLock;

    // ---- independent reference: RFC 6962 §2.1 transcribed literally ----

    fn reference_split(n: usize) -> usize {
        let mut k = 1;
        while k * 2 < n {
            k *= 2;
        }
        k
    }

    fn reference_root(leaves: &[Hash]) -> Hash {
        match leaves.len() {
            0 => empty_root(Suite::Intl2024),
            1 => leaves[0],
            n => {
                let k = reference_split(n);
                node_hash(
                    Suite::Intl2024,
                    &reference_root(&leaves[..k]),
                    &reference_root(&leaves[k..]),
                )
            }
        }
    }

    fn reference_path(m: usize, leaves: &[Hash]) -> Vec<Hash> {
        let n = leaves.len();
        if n == 1 {
            return vec![];
        }
        let k = reference_split(n);
        if m < k {
            let mut path = reference_path(m, &leaves[..k]);
            path.push(reference_root(&leaves[k..]));
            path
        } else {
            let mut path = reference_path(m - k, &leaves[k..]);
            path.push(reference_root(&leaves[..k]));
            path
        }
    }

    /// For each proof hash, leaf side first: is the sibling on the right?
    fn reference_path_shape(m: usize, n: usize) -> Vec<bool> {
        if n == 1 {
            return vec![];
        }
        let k = reference_split(n);
        if m < k {
            let mut shape = reference_path_shape(m, k);
            shape.push(true);
            shape
        } else {
            let mut shape = reference_path_shape(m - k, n - k);
            shape.push(false);
            shape
        }
    }

    fn reference_subproof(m: usize, leaves: &[Hash], whole: bool) -> Vec<Hash> {
        let n = leaves.len();
        if m == n {
            return if whole {
                vec![]
            } else {
                vec![reference_root(leaves)]
            };
        }
        let k = reference_split(n);
        if m <= k {
            let mut proof = reference_subproof(m, &leaves[..k], whole);
            proof.push(reference_root(&leaves[k..]));
            proof
        } else {
            let mut proof = reference_subproof(m - k, &leaves[k..], false);
            proof.push(reference_root(&leaves[..k]));
            proof
        }
    }

    fn reference_consistency(m: usize, leaves: &[Hash]) -> Vec<Hash> {
        if m == 0 || m == leaves.len() {
            return vec![];
        }
        reference_subproof(m, leaves, true)
    }

    fn hex(text: &str) -> Vec<u8> {
        (0..text.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
            .collect()
    }

    fn hash_hex(text: &str) -> Hash {
        hex(text).try_into().unwrap()
    }

    // ---- RFC 6962 vectors (as used by the Certificate Transparency suites) ----

    const RFC6962_ENTRIES: [&str; 8] = [
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    ];

    /// Roots of the trees of sizes 0..=8 over `RFC6962_ENTRIES`.
    const RFC6962_ROOTS: [&str; 9] = [
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ];

    fn rfc6962_tree() -> MemoryTree {
        let mut tree = MemoryTree::new(Suite::Intl2024);
        for entry in RFC6962_ENTRIES {
            tree.append(&hex(entry)).unwrap();
        }
        tree
    }

    #[test]
    fn rfc6962_roots_for_every_size() {
        let tree = rfc6962_tree();
        let leaves: Vec<Hash> = RFC6962_ENTRIES
            .iter()
            .map(|e| leaf_hash(Suite::Intl2024, &hex(e)))
            .collect();
        for (size, expected) in RFC6962_ROOTS.iter().enumerate() {
            let expected = hash_hex(expected);
            assert_eq!(tree.root_at(size as u64).unwrap(), expected, "size {size}");
            assert_eq!(
                reference_root(&leaves[..size]),
                expected,
                "reference, size {size}"
            );
        }
        assert_eq!(tree.root(), hash_hex(RFC6962_ROOTS[8]));
    }

    #[test]
    fn rfc6962_inclusion_vectors() {
        let tree = rfc6962_tree();
        let cases: [(u64, u64, &[&str]); 4] = [
            (0, 1, &[]),
            (
                0,
                8,
                &[
                    "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                    "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
                ],
            ),
            (
                5,
                8,
                &[
                    "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                    "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
                ],
            ),
            (
                2,
                3,
                &["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"],
            ),
        ];
        for (index, size, expected) in cases {
            let expected: Vec<Hash> = expected.iter().map(|h| hash_hex(h)).collect();
            let proof = tree.inclusion_proof(index, size).unwrap();
            assert_eq!(proof, expected, "inclusion ({index}, {size})");
            let leaf = leaf_hash(Suite::Intl2024, &hex(RFC6962_ENTRIES[index as usize]));
            let root = hash_hex(RFC6962_ROOTS[size as usize]);
            verify_inclusion(Suite::Intl2024, &leaf, index, size, &proof, &root).unwrap();
        }
    }

    #[test]
    fn rfc6962_consistency_vectors() {
        let tree = rfc6962_tree();
        let cases: [(u64, u64, &[&str]); 4] = [
            (
                1,
                8,
                &[
                    "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                    "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
                ],
            ),
            (
                6,
                8,
                &[
                    "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                    "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
                ],
            ),
            (
                2,
                5,
                &[
                    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                    "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                ],
            ),
            (
                2,
                8,
                &[
                    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                    "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
                ],
            ),
        ];
        for (old, new, expected) in cases {
            let expected: Vec<Hash> = expected.iter().map(|h| hash_hex(h)).collect();
            let proof = tree.consistency_proof(old, new).unwrap();
            assert_eq!(proof, expected, "consistency ({old}, {new})");
            let old_root = hash_hex(RFC6962_ROOTS[old as usize]);
            let new_root = hash_hex(RFC6962_ROOTS[new as usize]);
            verify_consistency(Suite::Intl2024, old, new, &old_root, &new_root, &proof).unwrap();
        }
    }

    #[test]
    fn trivial_consistency_needs_empty_proof_and_matching_roots() {
        let tree = rfc6962_tree();
        let root = tree.root();
        let empty = empty_root(Suite::Intl2024);
        verify_consistency(Suite::Intl2024, 0, 8, &empty, &root, &[]).unwrap();
        verify_consistency(Suite::Intl2024, 8, 8, &root, &root, &[]).unwrap();
        verify_consistency(Suite::Intl2024, 0, 0, &empty, &empty, &[]).unwrap();
        assert_eq!(
            verify_consistency(Suite::Intl2024, 0, 8, &root, &root, &[]),
            Err(MerkleError::OldRootMismatch)
        );
        assert_eq!(
            verify_consistency(Suite::Intl2024, 8, 8, &root, &empty, &[]),
            Err(MerkleError::OldRootMismatch)
        );
        assert_eq!(
            verify_consistency(Suite::Intl2024, 8, 8, &root, &root, &[root]),
            Err(MerkleError::ProofTooLong)
        );
        assert_eq!(
            verify_consistency(Suite::Intl2024, 0, 8, &empty, &root, &[root]),
            Err(MerkleError::ProofTooLong)
        );
        assert_eq!(
            verify_consistency(Suite::Intl2024, 3, 8, &root, &root, &[]),
            Err(MerkleError::ProofTooShort)
        );
        assert_eq!(
            verify_consistency(Suite::Intl2024, 9, 8, &root, &root, &[]),
            Err(MerkleError::SizesOutOfOrder {
                old_size: 9,
                new_size: 8
            })
        );
        assert!(tree.consistency_proof(0, 8).unwrap().is_empty());
        assert!(tree.consistency_proof(8, 8).unwrap().is_empty());
    }

    #[test]
    fn inclusion_rejects_index_outside_tree() {
        let leaf = leaf_hash(Suite::Intl2024, b"x");
        assert_eq!(
            verify_inclusion(
                Suite::Intl2024,
                &leaf,
                0,
                0,
                &[],
                &empty_root(Suite::Intl2024)
            ),
            Err(MerkleError::IndexOutOfRange { index: 0, size: 0 })
        );
        assert_eq!(
            inclusion_proof_needs(5, 5),
            Err(MerkleError::IndexOutOfRange { index: 5, size: 5 })
        );
        assert_eq!(
            verify_inclusion(Suite::Intl2024, &leaf, 0, 1, &[], &leaf),
            Ok(()),
            "a single leaf is its own root"
        );
    }

    #[test]
    fn missing_stored_node_is_reported() {
        let needs = inclusion_proof_needs(5, 8).unwrap();
        assert_eq!(needs, vec![(0, 4), (1, 3), (2, 0)]);
        let err = inclusion_proof(Suite::Intl2024, 5, 8, &StoredHashes::new()).unwrap_err();
        assert_eq!(err, MerkleError::MissingNode { level: 0, index: 4 });
    }

    #[test]
    fn needs_name_only_complete_subtrees_of_the_requested_size() {
        // Tree of 7: the root's right child covers leaves 4..7 = (1,2) + (0,6).
        assert_eq!(tree_root_needs(7), vec![(2, 0), (1, 2), (0, 6)]);
        assert_eq!(tree_root_needs(0), vec![]);
        assert_eq!(
            inclusion_proof_needs(0, 7).unwrap(),
            vec![(0, 1), (1, 1), (1, 2), (0, 6)]
        );
        assert_eq!(consistency_proof_needs(3, 7).unwrap().len(), 5);
        for size in 1..300u64 {
            for (level, index) in tree_root_needs(size) {
                assert!((index + 1) << level <= size);
            }
        }
    }

    #[test]
    fn frontier_round_trips_and_rejects_bad_encodings() {
        let mut frontier = Frontier::new(Suite::Intl2024);
        assert_eq!(
            Frontier::from_bytes(Suite::Intl2024, &frontier.to_bytes()).unwrap(),
            frontier
        );
        for i in 0..77u64 {
            frontier
                .append(leaf_hash(Suite::Intl2024, &i.to_be_bytes()))
                .unwrap();
            let bytes = frontier.to_bytes();
            assert_eq!(bytes.len(), 8 + 32 * (i + 1).count_ones() as usize);
            assert_eq!(
                Frontier::from_bytes(Suite::Intl2024, &bytes).unwrap(),
                frontier
            );
        }
        let bytes = frontier.to_bytes();
        assert!(Frontier::from_bytes(Suite::Intl2024, &bytes[..bytes.len() - 1]).is_err());
        assert!(
            Frontier::from_bytes(Suite::Intl2024, &[bytes.as_slice(), &[0u8; 32]].concat())
                .is_err()
        );
        assert!(Frontier::from_bytes(Suite::Intl2024, &bytes[..7]).is_err());
        let mut wrong_size = bytes.clone();
        wrong_size[7] = 79; // 0b1001111: five set bits, the data holds four hashes
        assert!(Frontier::from_bytes(Suite::Intl2024, &wrong_size).is_err());
    }

    #[test]
    fn full_frontier_refuses_to_grow() {
        let mut bytes = u64::MAX.to_be_bytes().to_vec();
        bytes.extend(std::iter::repeat_n(7u8, 64 * 32));
        let mut frontier = Frontier::from_bytes(Suite::Intl2024, &bytes).unwrap();
        assert_eq!(frontier.append([0; 32]), Err(MerkleError::TreeFull));
    }

    #[test]
    fn frontier_emits_each_complete_node_once_with_its_hash() {
        let leaves: Vec<Hash> = (0..100u64)
            .map(|i| leaf_hash(Suite::Intl2024, &i.to_le_bytes()))
            .collect();
        let mut frontier = Frontier::new(Suite::Intl2024);
        let mut emitted = Vec::new();
        for leaf in &leaves {
            emitted.extend(frontier.append(*leaf).unwrap());
        }
        // 100 leaves + 50 + 25 + 12 + 6 + 3 + 1 interior nodes.
        assert_eq!(emitted.len(), 100 + 50 + 25 + 12 + 6 + 3 + 1);
        for (level, index, hash) in emitted {
            let width = 1usize << level;
            let start = index as usize * width;
            assert_eq!(hash, reference_root(&leaves[start..start + width]));
        }
    }

    // ---- property tests over one shared tree and all of its earlier sizes ----

    const BIG: u64 = 4100;

    fn big_tree() -> &'static (MemoryTree, Vec<Hash>) {
        static TREE: OnceLock<(MemoryTree, Vec<Hash>)> = OnceLock::new();
        TREE.get_or_init(|| {
            let mut tree = MemoryTree::new(Suite::Intl2024);
            let mut leaves = Vec::new();
            for i in 0..BIG {
                let entry = format!("entry {i}");
                leaves.push(leaf_hash(Suite::Intl2024, entry.as_bytes()));
                tree.append(entry.as_bytes()).unwrap();
            }
            (tree, leaves)
        })
    }

    fn size_and_index() -> impl Strategy<Value = (u64, u64)> {
        (1..=BIG).prop_flat_map(|size| (Just(size), 0..size))
    }

    fn old_and_new() -> impl Strategy<Value = (u64, u64)> {
        (1..=BIG).prop_flat_map(|new| (0..=new, Just(new)))
    }

    #[test]
    fn the_root_of_a_leaf_list_is_the_frontier_root_for_every_size_up_to_300() {
        let mut frontier = Frontier::new(Suite::Intl2024);
        let mut leaves = Vec::new();
        assert_eq!(root_of_leaves(Suite::Intl2024, Vec::new()), frontier.root());
        for i in 0u32..300 {
            let leaf = leaf_hash(Suite::Intl2024, &i.to_be_bytes());
            frontier.append(leaf).unwrap();
            leaves.push(leaf);
            assert_eq!(
                root_of_leaves(Suite::Intl2024, leaves.clone()),
                frontier.root(),
                "size {}",
                i + 1
            );
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        #[test]
        fn historical_roots_match_reference(size in 0..=BIG) {
            let (tree, leaves) = big_tree();
            let root = tree.root_at(size).unwrap();
            prop_assert_eq!(root, reference_root(&leaves[..size as usize]));
            let frontier = Frontier::from_stored(Suite::Intl2024, size, &tree.lookup(&tree_root_needs(size))).unwrap();
            prop_assert_eq!(frontier.size(), size);
            prop_assert_eq!(frontier.root(), root);
        }

        #[test]
        fn inclusion_proofs_verify_and_match_reference((size, index) in size_and_index()) {
            let (tree, leaves) = big_tree();
            let proof = tree.inclusion_proof(index, size).unwrap();
            prop_assert_eq!(&proof, &reference_path(index as usize, &leaves[..size as usize]));
            let root = tree.root_at(size).unwrap();
            prop_assert_eq!(verify_inclusion(Suite::Intl2024, &leaves[index as usize], index, size, &proof, &root), Ok(()));
        }

        #[test]
        fn altered_inclusion_proofs_fail(
            (size, index) in size_and_index(),
            pick in any::<prop::sample::Index>(),
            bit in 0..256usize,
        ) {
            let (tree, leaves) = big_tree();
            let proof = tree.inclusion_proof(index, size).unwrap();
            let root = tree.root_at(size).unwrap();
            let leaf = leaves[index as usize];

            if !proof.is_empty() {
                let mut flipped = proof.clone();
                flipped[pick.index(proof.len())][bit / 8] ^= 1 << (bit % 8);
                prop_assert!(verify_inclusion(Suite::Intl2024, &leaf, index, size, &flipped, &root).is_err());
                prop_assert_eq!(
                    verify_inclusion(Suite::Intl2024, &leaf, index, size, &proof[..proof.len() - 1], &root),
                    Err(MerkleError::ProofTooShort)
                );
            }
            let mut longer = proof.clone();
            longer.push(root);
            prop_assert!(verify_inclusion(Suite::Intl2024, &leaf, index, size, &longer, &root).is_err());

            let mut wrong_root = root;
            wrong_root[bit / 8] ^= 1 << (bit % 8);
            prop_assert_eq!(
                verify_inclusion(Suite::Intl2024, &leaf, index, size, &proof, &wrong_root),
                Err(MerkleError::RootMismatch)
            );
            let mut wrong_leaf = leaf;
            wrong_leaf[bit / 8] ^= 1 << (bit % 8);
            prop_assert!(verify_inclusion(Suite::Intl2024, &wrong_leaf, index, size, &proof, &root).is_err());
        }

        #[test]
        fn inclusion_is_bound_to_index_and_size(
            (size, index) in size_and_index(),
            other_index in 0..BIG + 2,
            other_size in 1..BIG + 2,
        ) {
            let (tree, leaves) = big_tree();
            let proof = tree.inclusion_proof(index, size).unwrap();
            let root = tree.root_at(size).unwrap();
            let leaf = leaves[index as usize];
            let shape = reference_path_shape(index as usize, size as usize);

            // The same hashes combined in the same left/right order give the
            // same root, so a changed claim can only pass if it keeps the
            // exact shape; anything else would be a SHA-256 collision.
            if other_index != index {
                let accepted = verify_inclusion(Suite::Intl2024, &leaf, other_index, size, &proof, &root).is_ok();
                let same_shape = other_index < size
                    && reference_path_shape(other_index as usize, size as usize) == shape;
                prop_assert_eq!(accepted, same_shape);
                prop_assert!(!same_shape, "distinct leaves have distinct paths");
            }
            if other_size != size {
                let accepted = verify_inclusion(Suite::Intl2024, &leaf, index, other_size, &proof, &root).is_ok();
                let same_shape = index < other_size
                    && reference_path_shape(index as usize, other_size as usize) == shape;
                prop_assert_eq!(accepted, same_shape);
                // Against the real tree of the other size it must always fail.
                if other_size <= BIG {
                    let other_root = tree.root_at(other_size).unwrap();
                    prop_assert!(verify_inclusion(Suite::Intl2024, &leaf, index, other_size, &proof, &other_root).is_err());
                }
            }
        }

        #[test]
        fn consistency_proofs_verify_and_match_reference((old, new) in old_and_new()) {
            let (tree, leaves) = big_tree();
            let proof = tree.consistency_proof(old, new).unwrap();
            prop_assert_eq!(&proof, &reference_consistency(old as usize, &leaves[..new as usize]));
            let old_root = tree.root_at(old).unwrap();
            let new_root = tree.root_at(new).unwrap();
            prop_assert_eq!(verify_consistency(Suite::Intl2024, old, new, &old_root, &new_root, &proof), Ok(()));
        }

        #[test]
        fn altered_consistency_proofs_fail(
            (old, new) in old_and_new(),
            pick in any::<prop::sample::Index>(),
            bit in 0..256usize,
            other_old in 0..=BIG,
            other_new in 1..=BIG,
        ) {
            let (tree, _) = big_tree();
            let proof = tree.consistency_proof(old, new).unwrap();
            let old_root = tree.root_at(old).unwrap();
            let new_root = tree.root_at(new).unwrap();

            if !proof.is_empty() {
                let mut flipped = proof.clone();
                flipped[pick.index(proof.len())][bit / 8] ^= 1 << (bit % 8);
                prop_assert!(verify_consistency(Suite::Intl2024, old, new, &old_root, &new_root, &flipped).is_err());
                prop_assert!(verify_consistency(Suite::Intl2024, old, new, &old_root, &new_root, &proof[1..]).is_err());
                prop_assert!(
                    verify_consistency(Suite::Intl2024, old, new, &old_root, &new_root, &proof[..proof.len() - 1]).is_err()
                );
            }
            let mut longer = proof.clone();
            longer.push(new_root);
            prop_assert!(verify_consistency(Suite::Intl2024, old, new, &old_root, &new_root, &longer).is_err());

            let mut wrong = old_root;
            wrong[bit / 8] ^= 1 << (bit % 8);
            prop_assert!(verify_consistency(Suite::Intl2024, old, new, &wrong, &new_root, &proof).is_err());
            let mut wrong = new_root;
            wrong[bit / 8] ^= 1 << (bit % 8);
            // Every tree extends the empty tree, so only then is the new
            // root unconstrained.
            if old != new && old != 0 {
                prop_assert!(verify_consistency(Suite::Intl2024, old, new, &old_root, &wrong, &proof).is_err());
            }

            // A proof only vouches for the sizes it was made for: claiming it
            // for other sizes (with their true roots) fails unless those sizes
            // happen to have the very same proof.
            if other_old != old && other_old <= new {
                let accepted = verify_consistency(Suite::Intl2024,
                    other_old, new, &tree.root_at(other_old).unwrap(), &new_root, &proof,
                ).is_ok();
                prop_assert_eq!(accepted, tree.consistency_proof(other_old, new).unwrap() == proof);
            }
            if other_new != new && old <= other_new {
                let accepted = verify_consistency(Suite::Intl2024,
                    old, other_new, &old_root, &tree.root_at(other_new).unwrap(), &proof,
                ).is_ok();
                prop_assert_eq!(accepted, tree.consistency_proof(old, other_new).unwrap() == proof);
            }
        }
    }
}
