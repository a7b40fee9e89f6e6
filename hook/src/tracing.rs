//! `BPF_PROG_LOAD` of BTF-typed tracing programs (fentry, fexit, tp_btf).
//!
//! Such a program names its target by a type id of the kernel's BTF (`attach_btf_id`):
//! a FUNC for fentry/fexit, the typedef `btf_trace_<tracepoint>` for tp_btf. The driver
//! has no BTF (the kernel has none; the hook serves a file), so the hook resolves the id
//! against the BTF it serves and sends the function or tracepoint name and the number of
//! argument slots with the load (`BPFDRV_IOC_PROG_LOAD_BTF`).

use crate::btf::{self, Btf};
use crate::driver;
use crate::user_mem::Memory;
use driver_protocol::{
    bpfdrv_btf_target, bpfdrv_prog_load_attr, bpfdrv_prog_load_btf_req, BPFDRV_ATTR_SIZE, BPFDRV_BTF_TARGET_FUNC,
    BPFDRV_BTF_TARGET_TRACEPOINT, BPFDRV_IOC_PROG_LOAD_BTF, BPFDRV_PROG_TYPE_TRACING, BPFDRV_TRACE_FENTRY, BPFDRV_TRACE_FEXIT,
    BPFDRV_TRACE_RAW_TP,
};

fn target(kind: u32, name: &str, nr_args: u32) -> Result<bpfdrv_btf_target, String> {
    let mut t = bpfdrv_btf_target { kind, nr_args, ..Default::default() };
    if name.is_empty() || name.len() >= t.name.len() {
        return Err(format!("target name '{name}' is empty or too long"));
    }
    t.name[..name.len()].copy_from_slice(name.as_bytes());
    Ok(t)
}

/// u64 context slots a function's arguments take: a struct or union of 9..16 bytes
/// passed by value takes two registers (the kernel's trampolines count them so too).
fn arg_slots(b: &Btf, proto: &btf::Type) -> Result<u32, String> {
    let mut slots = 0;
    for p in b.params(proto) {
        if p == 0 {
            return Err("variadic functions cannot be traced".into());
        }
        let size = b.size_of(p).ok_or_else(|| format!("argument type {p} has no size"))?;
        slots += if size > 8 { size.div_ceil(8) } else { 1 };
    }
    Ok(slots)
}

/// The target `attach_btf_id` names in `b`, for a program of `attach_type`.
pub fn resolve(b: &Btf, attach_type: u32, id: u32) -> Result<bpfdrv_btf_target, String> {
    let t = b.get(id).ok_or_else(|| format!("attach_btf_id {id} is not a type of the kernel BTF"))?;
    let name = b.name(t);
    match attach_type {
        BPFDRV_TRACE_FENTRY | BPFDRV_TRACE_FEXIT => {
            if t.kind != btf::KIND_FUNC {
                return Err(format!("attach_btf_id {id} ('{name}') is not a function"));
            }
            let proto = b.get(t.size_or_type).filter(|p| p.kind == btf::KIND_FUNC_PROTO);
            let proto = proto.ok_or_else(|| format!("function '{name}' has no prototype"))?;
            target(BPFDRV_BTF_TARGET_FUNC, name, arg_slots(b, proto)?)
        }
        BPFDRV_TRACE_RAW_TP => {
            let tp = name.strip_prefix("btf_trace_").filter(|_| t.kind == btf::KIND_TYPEDEF);
            let tp = tp.ok_or_else(|| format!("attach_btf_id {id} ('{name}') is not a btf_trace_ typedef"))?;
            // typedef -> pointer -> prototype (void *data, tracepoint arguments...)
            let args = b
                .get(t.size_or_type)
                .and_then(|p| b.get(p.size_or_type))
                .filter(|p| p.kind == btf::KIND_FUNC_PROTO)
                .map_or(0, |p| p.vlen.saturating_sub(1));
            target(BPFDRV_BTF_TARGET_TRACEPOINT, tp, args)
        }
        other => Err(format!("tracing programs of attach type {other} (fmod_ret, iter, lsm, ...) are not emulated")),
    }
}

/// The caller's `BPF_PROG_LOAD` attr (the prefix the driver knows; the rest stays zero),
/// read and checked as the kernel does before any command runs
/// ([`Memory::read_bpf_attr`]): E2BIG or EFAULT for attrs the kernel refuses so.
fn read_attr(mem: Memory, attr: libc::c_long, size: libc::c_long) -> Result<bpfdrv_prog_load_attr, libc::c_int> {
    let mut a = bpfdrv_prog_load_attr::default();
    // SAFETY: the attr is plain data (integers only): any bytes are a valid value.
    let bytes = unsafe {
        std::slice::from_raw_parts_mut((&mut a as *mut bpfdrv_prog_load_attr).cast::<u8>(), std::mem::size_of::<bpfdrv_prog_load_attr>())
    };
    // bpf(2) takes `unsigned int size`: the low 32 bits, as in bpf::request.
    mem.read_bpf_attr(attr as usize, size as u32, BPFDRV_ATTR_SIZE as usize, bytes)?;
    Ok(a)
}

/// `bpf(BPF_PROG_LOAD, attr, size)` when it loads a tracing program against the kernel's
/// BTF: the driver's answer (through `port`). None: not such a program (the plain path
/// handles it, including tracing programs against a module's BTF, which the driver
/// refuses).
pub fn prog_load(
    mem: Memory,
    port: &mut impl driver::Port,
    attr: libc::c_long,
    size: libc::c_long,
) -> Option<Result<libc::c_long, libc::c_int>> {
    let a = match read_attr(mem, attr, size) {
        Ok(a) => a,
        Err(e) => return Some(Err(e)),
    };
    // attach_prog_fd doubles as attach_btf_obj_fd: 0 means the kernel's own BTF.
    if a.prog_type != BPFDRV_PROG_TYPE_TRACING || a.attach_btf_id == 0 || a.attach_prog_fd != 0 {
        return None;
    }
    let resolved = match crate::paths::served_btf() {
        None => Err("no kernel BTF to resolve attach_btf_id against (set BPFHOOK_BTF)".to_string()),
        Some(raw) => Btf::parse(raw)
            .ok_or_else(|| "the kernel BTF file is not raw BTF".to_string())
            .and_then(|b| resolve(&b, a.expected_attach_type, a.attach_btf_id)),
    };
    let target = match resolved {
        Ok(t) => t,
        Err(why) => {
            log::warn!("BPF_PROG_LOAD of tracing program: {why}");
            return Some(Err(libc::EINVAL));
        }
    };
    let mut req = bpfdrv_prog_load_btf_req {
        size: std::mem::size_of::<bpfdrv_prog_load_btf_req>() as u32,
        attr_size: size as u32,
        attr: attr as u64,
        target,
    };
    let ret = driver::ioctl(port, BPFDRV_IOC_PROG_LOAD_BTF, &mut req);
    log::debug!("BPF_PROG_LOAD tracing (attach type {}) -> {:?}: {ret:?}", a.expected_attach_type, target_name(&target));
    Some(ret)
}

fn target_name(t: &bpfdrv_btf_target) -> &str {
    let end = t.name.iter().position(|&c| c == 0).unwrap_or(t.name.len());
    std::str::from_utf8(&t.name[..end]).unwrap_or("?")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::btf::testing::{build, rec};
    use crate::btf::*;

    #[test]
    fn functions_and_tracepoints_resolve_to_names_and_slots() {
        // 1 long, 2 struct s (16 bytes), 3 proto(long, struct s), 4 func "vfs_x",
        // 5 ptr -> 0, 6 proto(void *, long), 7 ptr -> 6, 8 typedef btf_trace_tp -> 7
        let strings = b"\0long\0s\0vfs_x\0btf_trace_tp\0";
        let mut t = Vec::new();
        rec(&mut t, &[1, KIND_INT << 24, 8, 64]);
        rec(&mut t, &[6, KIND_STRUCT << 24, 16]);
        rec(&mut t, &[0, KIND_FUNC_PROTO << 24 | 2, 1, 0, 1, 0, 2]);
        rec(&mut t, &[8, KIND_FUNC << 24, 3]);
        rec(&mut t, &[0, KIND_PTR << 24, 0]);
        rec(&mut t, &[0, KIND_FUNC_PROTO << 24 | 2, 0, 0, 5, 0, 1]);
        rec(&mut t, &[0, KIND_PTR << 24, 6]);
        rec(&mut t, &[14, KIND_TYPEDEF << 24, 7]);
        let raw = build(&t, strings);
        let b = Btf::parse(&raw).unwrap();
        let f = resolve(&b, BPFDRV_TRACE_FEXIT, 4).unwrap();
        assert_eq!((f.kind, f.nr_args, target_name(&f)), (BPFDRV_BTF_TARGET_FUNC, 3, "vfs_x"));
        let tp = resolve(&b, BPFDRV_TRACE_RAW_TP, 8).unwrap();
        assert_eq!((tp.kind, tp.nr_args, target_name(&tp)), (BPFDRV_BTF_TARGET_TRACEPOINT, 1, "tp"));
        assert!(resolve(&b, BPFDRV_TRACE_FENTRY, 8).unwrap_err().contains("not a function"));
        assert!(resolve(&b, BPFDRV_TRACE_RAW_TP, 4).unwrap_err().contains("btf_trace_"));
        assert!(resolve(&b, 26, 4).unwrap_err().contains("not emulated"));
        assert!(resolve(&b, BPFDRV_TRACE_FENTRY, 99).is_err());
    }
}
