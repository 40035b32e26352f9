//! System information: CPUs (uv_cpu_info, uv_available_parallelism), network interfaces
//! (uv_interface_addresses), memory (free/total/constrained/available, resident set size),
//! load average, uptime and resource usage.
//!
//! Everything comes from /proc, /sys and a few system calls, as libuv does on Linux. The
//! text parsers are pure functions (unit-tested below); the `extern "C"` layer reads the
//! files and fills the program's structures. Arrays handed to the program are one block of
//! the program's allocator (`crate::alloc`) holding the entries followed by their strings,
//! so uv_free_cpu_info / uv_free_interface_addresses free one pointer.

use crate::abi::*;
use crate::error::last_error;
use core::ffi::{c_char, c_int};
use core::mem::size_of;
use core::ptr;

/// A small /proc or /sys file as text; None if it cannot be read.
fn slurp(path: &str) -> Option<String> {
    std::fs::read(path)
        .ok()
        .map(|b| String::from_utf8_lossy(&b).into_owned())
}

fn page_size() -> u64 {
    // SAFETY: sysconf has no memory-safety preconditions.
    let p = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    if p > 0 {
        p as u64
    } else {
        4096
    }
}

// ---- parsers ----

/// Per-CPU times from /proc/stat, in clock ticks: (cpu number, [user, nice, sys, idle, irq]).
/// The aggregate "cpu" line is skipped; the per-CPU lines follow it.
pub fn parse_proc_stat(text: &str) -> Vec<(usize, [u64; 5])> {
    let mut out = Vec::new();
    for line in text.lines().skip(1) {
        let Some(rest) = line.strip_prefix("cpu") else {
            break;
        };
        let mut fields = rest.split_ascii_whitespace();
        let Some(Ok(cpu)) = fields.next().map(str::parse::<usize>) else {
            break;
        };
        // user nice system idle iowait irq ...
        let nums: Vec<u64> = fields.take(6).map_while(|f| f.parse().ok()).collect();
        if nums.len() < 6 {
            break;
        }
        if cpu < 8192 {
            out.push((cpu, [nums[0], nums[1], nums[2], nums[3], nums[5]]));
        }
    }
    out
}

/// Per-CPU model names from /proc/cpuinfo ("processor" and "model name" of each block),
/// truncated to 63 bytes as libuv does.
pub fn parse_cpuinfo_models(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut cpu: Option<usize> = None;
    for line in text.lines() {
        let Some((key, value)) = line.split_once(':') else {
            if line.trim().is_empty() {
                cpu = None;
            }
            continue;
        };
        let value = value.trim();
        match key.trim() {
            "processor" => cpu = value.parse().ok(),
            "model name" => {
                if let Some(c) = cpu.take() {
                    let mut end = value.len().min(63);
                    while !value.is_char_boundary(end) {
                        end -= 1;
                    }
                    out.push((c, value[..end].to_string()));
                }
            }
            _ => {}
        }
    }
    out
}

/// The resident set size in pages: field 24 of /proc/self/stat (counted after the command
/// name, which may itself contain spaces and parentheses).
pub fn parse_stat_rss_pages(text: &str) -> Option<u64> {
    let after = &text[text.rfind(')')? + 1..];
    // Field 3 (state) is the first after ')'; field 24 is the 22nd.
    let v: i64 = after.split_ascii_whitespace().nth(21)?.parse().ok()?;
    u64::try_from(v).ok()
}

/// A "Key:   value kB" entry of /proc/meminfo, in bytes (0 if absent).
pub fn parse_meminfo(text: &str, key: &str) -> u64 {
    text.lines()
        .find_map(|l| l.strip_prefix(key)?.strip_prefix(':'))
        .and_then(|v| v.split_ascii_whitespace().next()?.parse::<u64>().ok())
        .map_or(0, |kb| kb.saturating_mul(1024))
}

/// A cgroup value file: a number, or "max" for no limit (u64::MAX); 0 if unreadable.
pub fn parse_cgroup_u64(text: &str) -> u64 {
    let t = text.trim();
    if t == "max" {
        return u64::MAX;
    }
    let digits = t.split(|c: char| !c.is_ascii_digit()).next().unwrap_or("");
    digits.parse().unwrap_or(0)
}

/// Which cgroup hierarchy /proc/self/cgroup describes.
#[derive(Debug, PartialEq, Eq)]
pub enum Cgroup<'a> {
    /// cgroup v2: the single "0::/path" entry (path without the leading '/').
    V2(&'a str),
    /// cgroup v1 (or hybrid): the whole file.
    V1(&'a str),
}

/// As libuv: a file that starts with "0::/" is cgroup v2, anything else is v1.
pub fn parse_cgroup(text: &str) -> Cgroup<'_> {
    match text.strip_prefix("0::/") {
        Some(rest) => Cgroup::V2(rest.lines().next().unwrap_or("")),
        None => Cgroup::V1(text),
    }
}

/// The cgroup v1 path (without its leading '/') of a controller, from /proc/self/cgroup lines
/// "id:controllers:path" whose controller list contains `controller`.
pub fn cgroup1_path<'a>(text: &'a str, controller: &str) -> Option<(&'a str, &'a str)> {
    text.lines().find_map(|l| {
        let mut parts = l.splitn(3, ':');
        let _id = parts.next()?;
        let controllers = parts.next()?;
        let path = parts.next()?;
        controllers
            .split(',')
            .any(|c| c == controller)
            .then(|| (controllers, path.strip_prefix('/').unwrap_or(path)))
    })
}

/// cgroup v2 cpu.max ("quota period" or "max period") as a whole number of CPUs (at least 1);
/// None when unlimited or unparsable.
pub fn parse_cpu_max(text: &str) -> Option<u64> {
    let mut f = text.split_ascii_whitespace();
    let quota: u64 = f.next()?.parse().ok()?;
    let period: u64 = f.next()?.parse().ok()?;
    if period == 0 {
        return None;
    }
    Some((quota / period).max(1))
}

/// The first three numbers of /proc/loadavg.
pub fn parse_loadavg(text: &str) -> Option<[f64; 3]> {
    let mut f = text.split_ascii_whitespace().map(|s| s.parse::<f64>().ok());
    Some([f.next()??, f.next()??, f.next()??])
}

// ---- CPUs ----

fn ms_per_tick() -> u64 {
    // SAFETY: sysconf has no memory-safety preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if hz > 0 && hz <= 1000 {
        1000 / hz as u64
    } else {
        10
    }
}

#[no_mangle]
pub unsafe extern "C" fn uv_cpu_info(
    cpu_infos: *mut *mut uv_cpu_info_t,
    count: *mut c_int,
) -> c_int {
    if cpu_infos.is_null() || count.is_null() {
        return UV_EINVAL;
    }
    let Some(stat) = slurp("/proc/stat") else {
        return last_error();
    };
    let cpus = parse_proc_stat(&stat);
    let models = slurp("/proc/cpuinfo")
        .map(|t| parse_cpuinfo_models(&t))
        .unwrap_or_default();

    // Distinct model strings, stored once after the array.
    let mut names: Vec<&str> = vec!["unknown"];
    let model_of: Vec<usize> = cpus
        .iter()
        .map(|(cpu, _)| {
            let name = models
                .iter()
                .find(|(c, _)| c == cpu)
                .map_or("unknown", |(_, m)| m.as_str());
            match names.iter().position(|n| *n == name) {
                Some(i) => i,
                None => {
                    names.push(name);
                    names.len() - 1
                }
            }
        })
        .collect();
    let array = cpus.len() * size_of::<uv_cpu_info_t>();
    let strings: usize = names.iter().map(|n| n.len() + 1).sum();
    let block = crate::alloc::malloc(array + strings) as *mut u8;
    if block.is_null() {
        return UV_ENOMEM;
    }
    let tick = ms_per_tick();
    // SAFETY: block has room for the array followed by the strings; the out-pointers are
    // valid (checked above).
    unsafe {
        let mut name_ptrs = Vec::with_capacity(names.len());
        let mut at = block.add(array);
        for n in &names {
            ptr::copy_nonoverlapping(n.as_ptr(), at, n.len());
            *at.add(n.len()) = 0;
            name_ptrs.push(at as *const c_char);
            at = at.add(n.len() + 1);
        }
        let infos = block as *mut uv_cpu_info_t;
        for (i, ((cpu, t), m)) in cpus.iter().zip(&model_of).enumerate() {
            let khz = slurp(&format!(
                "/sys/devices/system/cpu/cpu{cpu}/cpufreq/scaling_cur_freq"
            ))
            .map_or(0, |s| parse_cgroup_u64(&s));
            infos.add(i).write(uv_cpu_info_t {
                model: name_ptrs[*m],
                speed: (khz / 1000).min(c_int::MAX as u64) as c_int,
                cpu_times: uv_cpu_times_s {
                    user: t[0].saturating_mul(tick),
                    nice: t[1].saturating_mul(tick),
                    sys: t[2].saturating_mul(tick),
                    idle: t[3].saturating_mul(tick),
                    irq: t[4].saturating_mul(tick),
                },
            });
        }
        *cpu_infos = infos;
        *count = cpus.len() as c_int;
    }
    0
}

#[no_mangle]
pub unsafe extern "C" fn uv_free_cpu_info(cpu_infos: *mut uv_cpu_info_t, _count: c_int) {
    // SAFETY: one block from uv_cpu_info (or NULL).
    unsafe { crate::alloc::free(cpu_infos as *mut _) }
}

/// The cgroup CPU quota, in whole CPUs, if one applies.
fn cgroup_cpu_quota() -> Option<u64> {
    let text = slurp("/proc/self/cgroup")?;
    match parse_cgroup(&text) {
        Cgroup::V2(path) => {
            let root = "/sys/fs/cgroup";
            let mut dir = format!("{root}/{path}");
            // Not a cgroup directory: nothing to read.
            std::fs::metadata(format!("{dir}/cgroup.controllers")).ok()?;
            // The limit is the tightest one on the way up to the root.
            let mut best: Option<u64> = None;
            loop {
                if let Some(q) = slurp(&format!("{dir}/cpu.max")).and_then(|t| parse_cpu_max(&t)) {
                    best = Some(best.map_or(q, |b| b.min(q)));
                }
                let trimmed = dir.trim_end_matches('/');
                if trimmed == root || trimmed.len() <= root.len() {
                    break;
                }
                match trimmed.rfind('/') {
                    Some(i) => dir.truncate(i),
                    None => break,
                }
            }
            best
        }
        Cgroup::V1(text) => {
            let (controllers, path) = cgroup1_path(text, "cpu")?;
            let dirs = [
                format!("/sys/fs/cgroup/{controllers}/{path}"),
                format!("/sys/fs/cgroup/cpu/{path}"),
                format!("/sys/fs/cgroup/cpu,cpuacct/{path}"),
            ];
            dirs.iter().find_map(|d| {
                let quota: i64 = slurp(&format!("{d}/cpu.cfs_quota_us"))?
                    .trim()
                    .parse()
                    .ok()?;
                let period: i64 = slurp(&format!("{d}/cpu.cfs_period_us"))?
                    .trim()
                    .parse()
                    .ok()?;
                if quota <= 0 || period <= 0 {
                    return None;
                }
                Some(((quota / period) as u64).max(1))
            })
        }
    }
}

#[no_mangle]
pub extern "C" fn uv_available_parallelism() -> u32 {
    // SAFETY: set is a local cpu_set_t, zeroed before use.
    let mut n: i64 = unsafe {
        let mut set: libc::cpu_set_t = core::mem::zeroed();
        if libc::sched_getaffinity(0, size_of::<libc::cpu_set_t>(), &mut set) == 0 {
            libc::CPU_COUNT(&set) as i64
        } else {
            libc::sysconf(libc::_SC_NPROCESSORS_ONLN) as i64
        }
    };
    if let Some(q) = cgroup_cpu_quota() {
        if q > 0 && (q as i64) < n {
            n = q as i64;
        }
    }
    n.clamp(1, u32::MAX as i64) as u32
}

// ---- network interfaces ----

/// Whether a getifaddrs entry is up and running and has an address of `family` kind: IP
/// (AF_INET / AF_INET6) entries, or link-layer (AF_PACKET) ones.
unsafe fn usable(ent: &libc::ifaddrs, link_layer: bool) -> bool {
    let flags = ent.ifa_flags as c_int;
    if flags & libc::IFF_UP == 0 || flags & libc::IFF_RUNNING == 0 || ent.ifa_addr.is_null() {
        return false;
    }
    // SAFETY: ifa_addr is non-NULL and points to at least a sockaddr header.
    let family = unsafe { (*ent.ifa_addr).sa_family } as c_int;
    if link_layer {
        family == libc::AF_PACKET
    } else {
        family == libc::AF_INET || family == libc::AF_INET6
    }
}

/// Copies an IPv4 or IPv6 socket address into a uv_interface_address_t union slot.
unsafe fn copy_sockaddr(src: *const libc::sockaddr, dst: *mut u8) {
    if src.is_null() {
        return;
    }
    // SAFETY: src points to a sockaddr of the size its family implies; dst has room for a
    // sockaddr_in6.
    unsafe {
        let len = if (*src).sa_family as c_int == libc::AF_INET6 {
            size_of::<libc::sockaddr_in6>()
        } else {
            size_of::<libc::sockaddr_in>()
        };
        ptr::copy_nonoverlapping(src as *const u8, dst, len);
    }
}

#[no_mangle]
pub unsafe extern "C" fn uv_interface_addresses(
    addresses: *mut *mut uv_interface_address_t,
    count: *mut c_int,
) -> c_int {
    if addresses.is_null() || count.is_null() {
        return UV_EINVAL;
    }
    // SAFETY: the out-pointers are valid; getifaddrs' list is walked read-only and freed once.
    unsafe {
        *addresses = ptr::null_mut();
        *count = 0;
        let mut list: *mut libc::ifaddrs = ptr::null_mut();
        if libc::getifaddrs(&mut list) != 0 {
            return last_error();
        }
        let mut entries: Vec<&libc::ifaddrs> = Vec::new();
        let mut e = list;
        while let Some(ent) = e.as_ref() {
            entries.push(ent);
            e = ent.ifa_next;
        }
        let ip: Vec<&libc::ifaddrs> = entries
            .iter()
            .copied()
            .filter(|e| usable(e, false))
            .collect();
        if ip.is_empty() {
            libc::freeifaddrs(list);
            return 0;
        }
        let names: Vec<&[u8]> = ip
            .iter()
            .map(|e| core::ffi::CStr::from_ptr(e.ifa_name).to_bytes())
            .collect();
        let array = ip.len() * size_of::<uv_interface_address_t>();
        let strings: usize = names.iter().map(|n| n.len() + 1).sum();
        let block = crate::alloc::calloc(1, array + strings) as *mut u8;
        if block.is_null() {
            libc::freeifaddrs(list);
            return UV_ENOMEM;
        }
        let out = block as *mut uv_interface_address_t;
        let mut at = block.add(array);
        for (i, (ent, name)) in ip.iter().zip(&names).enumerate() {
            let a = &mut *out.add(i);
            ptr::copy_nonoverlapping(name.as_ptr(), at, name.len());
            a.name = at as *mut c_char;
            at = at.add(name.len() + 1);
            copy_sockaddr(ent.ifa_addr, ptr::addr_of_mut!(a.address) as *mut u8);
            copy_sockaddr(ent.ifa_netmask, ptr::addr_of_mut!(a.netmask) as *mut u8);
            a.is_internal = (ent.ifa_flags as c_int & libc::IFF_LOOPBACK != 0) as c_int;
        }
        // Hardware addresses come from the link-layer entries; aliases ("eth0:1") share
        // their interface's address.
        for ent in entries.iter().filter(|e| usable(e, true)) {
            let link = core::ffi::CStr::from_ptr(ent.ifa_name).to_bytes();
            let sll = &*(ent.ifa_addr as *const libc::sockaddr_ll);
            for (i, name) in names.iter().enumerate() {
                let matches = name
                    .strip_prefix(link)
                    .is_some_and(|r| r.is_empty() || r[0] == b':');
                if matches {
                    let a = &mut *out.add(i);
                    for (d, s) in a.phys_addr.iter_mut().zip(sll.sll_addr.iter()) {
                        *d = *s as c_char;
                    }
                }
            }
        }
        libc::freeifaddrs(list);
        *addresses = out;
        *count = ip.len() as c_int;
    }
    0
}

#[no_mangle]
pub unsafe extern "C" fn uv_free_interface_addresses(
    addresses: *mut uv_interface_address_t,
    _count: c_int,
) {
    // SAFETY: one block from uv_interface_addresses (or NULL).
    unsafe { crate::alloc::free(addresses as *mut _) }
}

// ---- load and uptime ----

fn sysinfo() -> Option<libc::sysinfo> {
    // SAFETY: info is a local, writable struct.
    unsafe {
        let mut info: libc::sysinfo = core::mem::zeroed();
        (libc::sysinfo(&mut info) == 0).then_some(info)
    }
}

#[no_mangle]
pub unsafe extern "C" fn uv_loadavg(avg: *mut f64) {
    if avg.is_null() {
        return;
    }
    let loads = slurp("/proc/loadavg")
        .and_then(|t| parse_loadavg(&t))
        .or_else(|| sysinfo().map(|i| i.loads.map(|l| l as f64 / 65536.0)));
    if let Some(l) = loads {
        // SAFETY: avg points to three doubles (the documented argument).
        unsafe { ptr::copy_nonoverlapping(l.as_ptr(), avg, 3) };
    }
}

#[no_mangle]
pub unsafe extern "C" fn uv_uptime(uptime: *mut f64) -> c_int {
    if uptime.is_null() {
        return UV_EINVAL;
    }
    let from_proc =
        slurp("/proc/uptime").and_then(|t| t.split_ascii_whitespace().next()?.parse::<f64>().ok());
    let value = match from_proc {
        Some(v) => v,
        None => {
            // SAFETY: ts is a local, writable timespec.
            let mut ts: libc::timespec = unsafe { core::mem::zeroed() };
            if unsafe { libc::clock_gettime(libc::CLOCK_BOOTTIME, &mut ts) } != 0 {
                return last_error();
            }
            ts.tv_sec as f64
        }
    };
    // SAFETY: checked non-NULL.
    unsafe { *uptime = value };
    0
}

// ---- memory ----

fn meminfo(key: &str) -> u64 {
    slurp("/proc/meminfo").map_or(0, |t| parse_meminfo(&t, key))
}

#[no_mangle]
pub extern "C" fn uv_get_free_memory() -> u64 {
    match meminfo("MemAvailable") {
        0 => sysinfo().map_or(0, |i| i.freeram.saturating_mul(i.mem_unit as u64)),
        v => v,
    }
}

#[no_mangle]
pub extern "C" fn uv_get_total_memory() -> u64 {
    match meminfo("MemTotal") {
        0 => sysinfo().map_or(0, |i| i.totalram.saturating_mul(i.mem_unit as u64)),
        v => v,
    }
}

fn read_cgroup_u64(path: &str) -> u64 {
    slurp(path).map_or(0, |t| parse_cgroup_u64(&t))
}

/// The cgroup memory limit (the lower of the soft and hard limits); 0 if unknown, u64::MAX
/// if the controller exists but sets no limit.
fn cgroup_memory_limit(cg: &Cgroup<'_>) -> u64 {
    let (high, max) = match cg {
        Cgroup::V2(path) => (
            read_cgroup_u64(&format!("/sys/fs/cgroup/{path}/memory.high")),
            read_cgroup_u64(&format!("/sys/fs/cgroup/{path}/memory.max")),
        ),
        Cgroup::V1(text) => {
            let read = |dir: &str| {
                (
                    read_cgroup_u64(&format!("{dir}/memory.soft_limit_in_bytes")),
                    read_cgroup_u64(&format!("{dir}/memory.limit_in_bytes")),
                )
            };
            let mut limits = (0, 0);
            if let Some((_, path)) = cgroup1_path(text, "memory") {
                limits = read(&format!("/sys/fs/cgroup/memory/{path}"));
            }
            if limits.0 == 0 || limits.1 == 0 {
                limits = read("/sys/fs/cgroup/memory");
            }
            // cgroup v1 says "unlimited" with the largest page-aligned long.
            let unlimited = (i64::MAX as u64) & !(page_size() - 1);
            let fix = |v: u64| if v == unlimited { u64::MAX } else { v };
            (fix(limits.0), fix(limits.1))
        }
    };
    if high == 0 || max == 0 {
        0
    } else {
        high.min(max)
    }
}

/// The cgroup's current memory use.
fn cgroup_memory_current(cg: &Cgroup<'_>) -> u64 {
    match cg {
        Cgroup::V2(path) => read_cgroup_u64(&format!("/sys/fs/cgroup/{path}/memory.current")),
        Cgroup::V1(text) => {
            let own = cgroup1_path(text, "memory").map_or(0, |(_, path)| {
                read_cgroup_u64(&format!(
                    "/sys/fs/cgroup/memory/{path}/memory.usage_in_bytes"
                ))
            });
            if own != 0 {
                own
            } else {
                read_cgroup_u64("/sys/fs/cgroup/memory/memory.usage_in_bytes")
            }
        }
    }
}

/// The tighter of RLIMIT_AS and RLIMIT_DATA; 0 if neither is set.
fn rlimit_memory() -> u64 {
    let mut result = 0u64;
    for res in [libc::RLIMIT_AS, libc::RLIMIT_DATA] {
        // SAFETY: rl is a local, writable struct.
        let mut rl: libc::rlimit = unsafe { core::mem::zeroed() };
        if unsafe { libc::getrlimit(res, &mut rl) } == 0 && rl.rlim_cur != libc::RLIM_INFINITY {
            let v = rl.rlim_cur as u64;
            if result == 0 || v < result {
                result = v;
            }
        }
    }
    result
}

#[no_mangle]
pub extern "C" fn uv_get_constrained_memory() -> u64 {
    let cgroup = slurp("/proc/self/cgroup").map_or(0, |t| cgroup_memory_limit(&parse_cgroup(&t)));
    let rlimit = rlimit_memory();
    match (cgroup, rlimit) {
        (0, r) => r,
        (c, 0) => c,
        (c, r) => c.min(r),
    }
}

#[no_mangle]
pub extern "C" fn uv_get_available_memory() -> u64 {
    let Some(text) = slurp("/proc/self/cgroup") else {
        return 0;
    };
    let cg = parse_cgroup(&text);
    let limit = cgroup_memory_limit(&cg);
    if limit == 0 || limit > uv_get_total_memory() {
        return uv_get_free_memory();
    }
    // Usage can briefly exceed the limit.
    limit.saturating_sub(cgroup_memory_current(&cg))
}

#[no_mangle]
pub unsafe extern "C" fn uv_resident_set_memory(rss: *mut usize) -> c_int {
    if rss.is_null() {
        return UV_EINVAL;
    }
    let text = match std::fs::read("/proc/self/stat") {
        Ok(b) => String::from_utf8_lossy(&b).into_owned(),
        Err(e) => return -e.raw_os_error().unwrap_or(libc::EIO),
    };
    match parse_stat_rss_pages(&text) {
        Some(pages) => {
            // SAFETY: checked non-NULL.
            unsafe { *rss = pages.saturating_mul(page_size()) as usize };
            0
        }
        None => UV_EINVAL,
    }
}

// ---- resource usage ----

unsafe fn getrusage(who: c_int, out: *mut uv_rusage_t) -> c_int {
    if out.is_null() {
        return UV_EINVAL;
    }
    // SAFETY: u is a local, writable struct; out is the program's (checked non-NULL).
    unsafe {
        let mut u: libc::rusage = core::mem::zeroed();
        if libc::getrusage(who, &mut u) != 0 {
            return last_error();
        }
        *out = uv_rusage_t {
            ru_utime: uv_timeval_t {
                tv_sec: u.ru_utime.tv_sec,
                tv_usec: u.ru_utime.tv_usec,
            },
            ru_stime: uv_timeval_t {
                tv_sec: u.ru_stime.tv_sec,
                tv_usec: u.ru_stime.tv_usec,
            },
            ru_maxrss: u.ru_maxrss as u64,
            ru_ixrss: u.ru_ixrss as u64,
            ru_idrss: u.ru_idrss as u64,
            ru_isrss: u.ru_isrss as u64,
            ru_minflt: u.ru_minflt as u64,
            ru_majflt: u.ru_majflt as u64,
            ru_nswap: u.ru_nswap as u64,
            ru_inblock: u.ru_inblock as u64,
            ru_oublock: u.ru_oublock as u64,
            ru_msgsnd: u.ru_msgsnd as u64,
            ru_msgrcv: u.ru_msgrcv as u64,
            ru_nsignals: u.ru_nsignals as u64,
            ru_nvcsw: u.ru_nvcsw as u64,
            ru_nivcsw: u.ru_nivcsw as u64,
        };
    }
    0
}

#[no_mangle]
pub unsafe extern "C" fn uv_getrusage(rusage: *mut uv_rusage_t) -> c_int {
    // SAFETY: the program's struct.
    unsafe { getrusage(libc::RUSAGE_SELF, rusage) }
}

#[no_mangle]
pub unsafe extern "C" fn uv_getrusage_thread(rusage: *mut uv_rusage_t) -> c_int {
    // SAFETY: the program's struct.
    unsafe { getrusage(libc::RUSAGE_THREAD, rusage) }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STAT: &str = "cpu  66779 0 27221 279472 1319 0 533 56 0 0\n\
        cpu0 28175 1 12058 146938 189 7 217 24 0 0\n\
        cpu2 38603 0 15162 132534 1130 9 315 32 0 0\n\
        intr 1234 5 6\n\
        ctxt 999\n";

    #[test]
    fn proc_stat() {
        let cpus = parse_proc_stat(STAT);
        assert_eq!(
            cpus,
            vec![
                (0, [28175, 1, 12058, 146938, 7]),
                (2, [38603, 0, 15162, 132534, 9])
            ]
        );
        assert!(parse_proc_stat("").is_empty());
        assert!(parse_proc_stat("cpu 1 2 3\ncpu0 1 2\n").is_empty());
        // The real file parses and matches the number of CPUs the kernel lists.
        let real = parse_proc_stat(&slurp("/proc/stat").unwrap());
        assert!(!real.is_empty());
    }

    #[test]
    fn cpuinfo() {
        let text = "processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC\n\n\
                    processor\t: 1\nmodel name\t: Some Other CPU @ 2.0GHz\n\n\
                    processor\t: 2\nflags\t\t: fpu\n\n";
        assert_eq!(
            parse_cpuinfo_models(text),
            vec![
                (0, "AMD EPYC".into()),
                (1, "Some Other CPU @ 2.0GHz".into())
            ]
        );
        let long = format!("processor : 0\nmodel name : {}\n", "x".repeat(100));
        assert_eq!(parse_cpuinfo_models(&long)[0].1.len(), 63);
    }

    #[test]
    fn stat_rss() {
        let line = "1234 (a b) c)) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 777 22";
        assert_eq!(parse_stat_rss_pages(line), Some(777));
        assert_eq!(parse_stat_rss_pages("1234 (x) S 1 2"), None);
        assert_eq!(parse_stat_rss_pages("no paren"), None);
        let own = parse_stat_rss_pages(&slurp("/proc/self/stat").unwrap()).unwrap();
        assert!(own > 0);
    }

    #[test]
    fn meminfo_and_cgroup_values() {
        let text = "MemTotal:       24684092 kB\nMemFree:        23362108 kB\n\
                    MemAvailable:   24087412 kB\n";
        assert_eq!(parse_meminfo(text, "MemTotal"), 24684092 * 1024);
        assert_eq!(parse_meminfo(text, "MemAvailable"), 24087412 * 1024);
        assert_eq!(parse_meminfo(text, "Mem"), 0);
        assert_eq!(parse_meminfo(text, "Swap"), 0);
        assert_eq!(parse_cgroup_u64("max\n"), u64::MAX);
        assert_eq!(parse_cgroup_u64("1048576\n"), 1048576);
        assert_eq!(parse_cgroup_u64("garbage"), 0);
        assert_eq!(parse_cgroup_u64(""), 0);
        assert_eq!(
            parse_loadavg("0.52 0.58 0.59 1/467 12345\n"),
            Some([0.52, 0.58, 0.59])
        );
        assert_eq!(parse_loadavg("0.52 x"), None);
    }

    #[test]
    fn cgroup_files() {
        assert_eq!(
            parse_cgroup("0::/user.slice/a.scope\n"),
            Cgroup::V2("user.slice/a.scope")
        );
        assert_eq!(parse_cgroup("0::/\n"), Cgroup::V2(""));
        let v1 = "9:name=systemd:/\n4:memory:/process_api/abc\n3:cpu,cpuacct:/docker/x\n0::/\n";
        assert!(matches!(parse_cgroup(v1), Cgroup::V1(_)));
        assert_eq!(
            cgroup1_path(v1, "memory"),
            Some(("memory", "process_api/abc"))
        );
        assert_eq!(cgroup1_path(v1, "cpu"), Some(("cpu,cpuacct", "docker/x")));
        assert_eq!(
            cgroup1_path(v1, "cpuacct"),
            Some(("cpu,cpuacct", "docker/x"))
        );
        assert_eq!(cgroup1_path(v1, "pids"), None);
        assert_eq!(parse_cpu_max("max 100000\n"), None);
        assert_eq!(parse_cpu_max("250000 100000\n"), Some(2));
        assert_eq!(parse_cpu_max("50000 100000\n"), Some(1));
        assert_eq!(parse_cpu_max("50000 0\n"), None);
    }

    #[test]
    fn live_values() {
        assert!(uv_get_total_memory() > 0);
        assert!(uv_get_free_memory() > 0);
        assert!(uv_get_available_memory() <= uv_get_total_memory());
        assert!(uv_available_parallelism() >= 1);
        let mut n = 0;
        let mut p = ptr::null_mut();
        assert_eq!(unsafe { uv_cpu_info(&mut p, &mut n) }, 0);
        assert!(n >= 1);
        unsafe { uv_free_cpu_info(p, n) };
    }
}
