//! A reader for raw (little-endian) BTF: enough to find types by id or by name and to
//! read function prototypes, and a [`Builder`] that patches or extends one. The hook
//! resolves the BTF ids tracing programs name (`attach_btf_id`) against the BTF it serves,
//! because the driver has no BTF, and edits what it serves; the `bpfhook` command checks
//! a BTF file against the running kernel and normalizes RHEL 7's ([`norm`]). One reader
//! for both, so they never disagree on what a file holds.

pub mod norm;

use driver_protocol::BPFDRV_BTF_MAGIC;
use std::collections::HashMap;

pub const KIND_INT: u32 = 1;
pub const KIND_PTR: u32 = 2;
pub const KIND_ARRAY: u32 = 3;
pub const KIND_STRUCT: u32 = 4;
pub const KIND_UNION: u32 = 5;
pub const KIND_ENUM: u32 = 6;
pub const KIND_TYPEDEF: u32 = 8;
pub const KIND_VOLATILE: u32 = 9;
pub const KIND_CONST: u32 = 10;
pub const KIND_RESTRICT: u32 = 11;
pub const KIND_FUNC: u32 = 12;
pub const KIND_FUNC_PROTO: u32 = 13;
pub const KIND_VAR: u32 = 14;
pub const KIND_DATASEC: u32 = 15;
pub const KIND_DECL_TAG: u32 = 17;
pub const KIND_TYPE_TAG: u32 = 18;
pub const KIND_ENUM64: u32 = 19;

pub fn u32_at(b: &[u8], off: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(off..off + 4)?.try_into().ok()?))
}

/// One type: its header words and where its kind-specific data starts.
#[derive(Clone, Copy, Debug)]
pub struct Type {
    pub name_off: u32,
    pub kind: u32,
    pub vlen: u32,
    /// `size` or `type`, by kind.
    pub size_or_type: u32,
    /// Offset of the data after the 12-byte header, in the type section.
    pub extra: usize,
}

/// Parsed raw BTF: header fields and an index of types (id 1 is `types[0]`).
pub struct Btf<'a> {
    pub raw: &'a [u8],
    pub hdr_len: usize,
    pub types_sec: &'a [u8],
    pub strings: &'a [u8],
    pub types: Vec<Type>,
}

/// Bytes of kind-specific data after a type's header.
fn extra_len(kind: u32, vlen: u32) -> Option<usize> {
    let v = vlen as usize;
    Some(match kind {
        KIND_INT | KIND_VAR | KIND_DECL_TAG => 4,
        KIND_ARRAY => 12,
        KIND_STRUCT | KIND_UNION | KIND_DATASEC => 12 * v,
        KIND_ENUM | KIND_FUNC_PROTO => 8 * v,
        KIND_ENUM64 => 12 * v,
        KIND_PTR | 7 /* FWD */ | KIND_TYPEDEF | KIND_VOLATILE | KIND_CONST | KIND_RESTRICT | KIND_FUNC
        | 16 /* FLOAT */ | KIND_TYPE_TAG => 0,
        _ => return None,
    })
}

impl<'a> Btf<'a> {
    pub fn parse(raw: &'a [u8]) -> Option<Btf<'a>> {
        Self::parse_or_why(raw).ok()
    }

    /// [`Btf::parse`], saying what is wrong with a blob it refuses.
    pub fn parse_or_why(raw: &'a [u8]) -> Result<Btf<'a>, String> {
        let magic = raw.get(..2).map(|m| u16::from_le_bytes([m[0], m[1]])).ok_or("too short for a BTF header")?;
        if magic != BPFDRV_BTF_MAGIC {
            return Err(format!("not raw BTF: magic {magic:#06x}, expected {BPFDRV_BTF_MAGIC:#06x}"));
        }
        if raw.len() < 24 {
            return Err("too short for a BTF header".into());
        }
        if raw[2] != 1 {
            return Err(format!("BTF version {} (expected 1)", raw[2]));
        }
        let word = |off| u32_at(raw, off).map(|w| w as usize).ok_or("short header");
        let hdr_len = word(4)?;
        let (type_off, type_len, str_off, str_len) = (word(8)?, word(12)?, word(16)?, word(20)?);
        let types_sec = raw.get(hdr_len + type_off..hdr_len + type_off + type_len).ok_or("type section outside the file")?;
        let strings = raw.get(hdr_len + str_off..hdr_len + str_off + str_len).ok_or("string section outside the file")?;
        let mut types = Vec::new();
        let mut off = 0;
        while off < types_sec.len() {
            let (Some(name_off), Some(info), Some(size_or_type)) =
                (u32_at(types_sec, off), u32_at(types_sec, off + 4), u32_at(types_sec, off + 8))
            else {
                return Err("type section ends inside a type".into());
            };
            let (kind, vlen) = ((info >> 24) & 0x1f, info & 0xffff);
            types.push(Type { name_off, kind, vlen, size_or_type, extra: off + 12 });
            off += 12 + extra_len(kind, vlen).ok_or_else(|| format!("unknown BTF kind {kind} at type {}", types.len()))?;
        }
        if off != types_sec.len() {
            return Err("type section ends inside a type".into());
        }
        Ok(Btf { raw, hdr_len, types_sec, strings, types })
    }

    pub fn get(&self, id: u32) -> Option<&Type> {
        self.types.get((id as usize).checked_sub(1)?)
    }

    pub fn str_at(&self, off: u32) -> &'a str {
        let s = self.strings.get(off as usize..).unwrap_or_default();
        let end = s.iter().position(|&b| b == 0).unwrap_or(s.len());
        std::str::from_utf8(&s[..end]).unwrap_or("")
    }

    pub fn name(&self, t: &Type) -> &'a str {
        self.str_at(t.name_off)
    }

    /// Ids of the named types of `kind`, by name (the first of each name).
    pub fn index(&self, kind: u32) -> HashMap<&'a str, u32> {
        let mut m = HashMap::new();
        for (i, t) in self.types.iter().enumerate() {
            if t.kind == kind && t.name_off != 0 {
                m.entry(self.name(t)).or_insert(i as u32 + 1);
            }
        }
        m
    }

    /// Parameter type ids of a FUNC_PROTO.
    pub fn params(&self, proto: &Type) -> Vec<u32> {
        (0..proto.vlen as usize).filter_map(|i| u32_at(self.types_sec, proto.extra + 8 * i + 4)).collect()
    }

    /// Members of a STRUCT or UNION: (where its 12-byte record starts in the type
    /// section, name offset, type id, offset word).
    pub fn members(&self, t: &Type) -> impl Iterator<Item = (usize, u32, u32, u32)> + '_ {
        let n = if matches!(t.kind, KIND_STRUCT | KIND_UNION) { t.vlen as usize } else { 0 };
        let start = t.extra;
        (0..n).filter_map(move |i| {
            let at = start + 12 * i;
            Some((at, u32_at(self.types_sec, at)?, u32_at(self.types_sec, at + 4)?, u32_at(self.types_sec, at + 8)?))
        })
    }

    /// The type `id` names once typedefs and qualifiers are looked through, with its id.
    pub fn resolve(&self, mut id: u32) -> Option<(u32, &Type)> {
        for _ in 0..32 {
            let t = self.get(id)?;
            match t.kind {
                KIND_TYPEDEF | KIND_VOLATILE | KIND_CONST | KIND_RESTRICT | KIND_TYPE_TAG => id = t.size_or_type,
                _ => return Some((id, t)),
            }
        }
        None
    }

    /// Whether struct or union `t` has a member `name`, directly or in an anonymous
    /// struct or union member (where C code, and libbpf's field lookup, find it too).
    pub fn has_member(&self, t: &Type, name: &str) -> bool {
        self.has_member_within(t, name, 8)
    }

    fn has_member_within(&self, t: &Type, name: &str, depth: u32) -> bool {
        self.members(t).any(|(_, name_off, ty, _)| match name_off {
            0 => depth > 0 && self.resolve(ty).is_some_and(|(_, inner)| self.has_member_within(inner, name, depth - 1)),
            _ => self.str_at(name_off) == name,
        })
    }

    /// Size in bytes of type `id` (through typedefs and qualifiers); pointers are 8.
    pub fn size_of(&self, mut id: u32) -> Option<u32> {
        for _ in 0..32 {
            let t = self.get(id)?;
            match t.kind {
                KIND_INT | KIND_STRUCT | KIND_UNION | KIND_ENUM | KIND_ENUM64 | 16 => return Some(t.size_or_type),
                KIND_PTR => return Some(8),
                KIND_TYPEDEF | KIND_VOLATILE | KIND_CONST | KIND_RESTRICT | KIND_TYPE_TAG => id = t.size_or_type,
                KIND_ARRAY => {
                    let (elem, n) = (u32_at(self.types_sec, t.extra)?, u32_at(self.types_sec, t.extra + 8)?);
                    return self.size_of(elem)?.checked_mul(n);
                }
                _ => return None,
            }
        }
        None
    }
}

/// Raw BTF made from a parsed one: its type and string sections copied, records patched
/// in place ([`Builder::set`]) or appended ([`Builder::add`], ids continuing after the
/// last), then written out with the original header ([`Builder::finish`]). A patch keeps
/// every record's size, so the ids and offsets of the original records stay valid.
pub struct Builder<'a> {
    btf: &'a Btf<'a>,
    pub types: Vec<u8>,
    pub strings: Vec<u8>,
    /// The id the next added type gets.
    pub next_id: u32,
    /// Names this builder appended, by offset (each is added once).
    names: HashMap<String, u32>,
}

impl<'a> Builder<'a> {
    pub fn new(btf: &'a Btf<'a>) -> Builder<'a> {
        let next_id = btf.types.len() as u32 + 1;
        Builder { btf, types: btf.types_sec.to_vec(), strings: btf.strings.to_vec(), next_id, names: HashMap::new() }
    }

    /// The offset of `name` in the string section, appended on first use.
    pub fn name(&mut self, name: &str) -> u32 {
        if let Some(&off) = self.names.get(name) {
            return off;
        }
        let off = self.strings.len() as u32;
        self.strings.extend_from_slice(name.as_bytes());
        self.strings.push(0);
        self.names.insert(name.to_string(), off);
        off
    }

    /// Appends `struct btf_type { name_off, info, size/type }` and its kind data; returns
    /// its id. `info` is the whole word (kflag << 31 | kind << 24 | vlen).
    pub fn add(&mut self, name: Option<&str>, info: u32, size_or_type: u32, extra: &[u8]) -> u32 {
        let name_off = name.map_or(0, |n| self.name(n));
        for w in [name_off, info, size_or_type] {
            self.types.extend_from_slice(&w.to_le_bytes());
        }
        self.types.extend_from_slice(extra);
        self.next_id += 1;
        self.next_id - 1
    }

    /// Overwrites the word at `at` in the type section.
    pub fn set(&mut self, at: usize, word: u32) {
        self.types[at..at + 4].copy_from_slice(&word.to_le_bytes());
    }

    /// The header as read (`hdr_len` bytes) with the new lengths, types first, then strings.
    pub fn finish(self) -> Vec<u8> {
        let b = self.btf;
        let mut out = b.raw[..b.hdr_len].to_vec();
        let len = self.types.len() as u32;
        for (at, v) in [(8, 0), (12, len), (16, len), (20, self.strings.len() as u32)] {
            out[at..at + 4].copy_from_slice(&v.to_le_bytes());
        }
        out.extend_from_slice(&self.types);
        out.extend_from_slice(&self.strings);
        out
    }
}

/// Little-endian bytes of `words`, as kind data for [`Builder::add`].
pub fn words(ws: &[u32]) -> Vec<u8> {
    ws.iter().flat_map(|w| w.to_le_bytes()).collect()
}

/// Raw BTF blobs for tests, here and in the crates that use this one.
pub mod testing {
    use driver_protocol::BPFDRV_BTF_MAGIC;

    /// Raw BTF from type records and a string section.
    pub fn build(types: &[u8], strings: &[u8]) -> Vec<u8> {
        let mut b = Vec::new();
        b.extend_from_slice(&BPFDRV_BTF_MAGIC.to_le_bytes());
        b.push(1);
        b.push(0);
        for v in [24u32, 0, types.len() as u32, types.len() as u32, strings.len() as u32] {
            b.extend_from_slice(&v.to_le_bytes());
        }
        b.extend_from_slice(types);
        b.extend_from_slice(strings);
        b
    }

    pub fn rec(out: &mut Vec<u8>, words: &[u32]) {
        for w in words {
            out.extend_from_slice(&w.to_le_bytes());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::testing::{build, rec};
    use super::*;

    #[test]
    fn finds_types_and_prototypes() {
        // 1 int, 2 ptr -> 1, 3 proto(int a, int *b) -> int, 4 func "f" -> 3
        let strings = b"\0int\0a\0b\0f\0";
        let mut t = Vec::new();
        rec(&mut t, &[1, KIND_INT << 24, 4, 32]);
        rec(&mut t, &[0, KIND_PTR << 24, 1]);
        rec(&mut t, &[0, KIND_FUNC_PROTO << 24 | 2, 1, 5, 1, 7, 2]);
        rec(&mut t, &[9, KIND_FUNC << 24, 3]);
        let raw = build(&t, strings);
        let btf = Btf::parse(&raw).unwrap();
        assert_eq!(btf.types.len(), 4);
        let f = btf.index(KIND_FUNC)["f"];
        assert_eq!(f, 4);
        let proto = btf.get(btf.get(f).unwrap().size_or_type).unwrap();
        assert_eq!(btf.params(proto), vec![1, 2]);
        assert_eq!(btf.size_of(1), Some(4));
        assert_eq!(btf.size_of(2), Some(8));
        assert!(Btf::parse(b"not btf, but long enough to read").is_none());
    }
}
