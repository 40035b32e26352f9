//! The C ABI of libuv v1.52.1: types, constants and tables.
//!
//! This is one of the few modules where raw C layouts live; everything else works through
//! the types defined here.

pub mod enums;
pub mod errno_table;
mod layout;
pub mod types;

#[cfg(test)]
mod api_table;

pub use errno_table::*;
pub use types::*;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_table_is_complete() {
        assert_eq!(api_table::API_FUNCTIONS.len(), 318);
    }

    #[test]
    fn handle_and_req_maps_match_constants() {
        // The X-macro order defines the enum values: ASYNC is 1, and so on.
        assert_eq!(enums::HANDLE_TYPE_MAP[0].0, "ASYNC");
        assert_eq!(enums::HANDLE_TYPE_MAP.len() as i32 + 1, UV_FILE);
        assert_eq!(enums::HANDLE_TYPE_MAP[(UV_TCP - 1) as usize].0, "TCP");
        assert_eq!(enums::HANDLE_TYPE_MAP[(UV_SIGNAL - 1) as usize].0, "SIGNAL");
        assert_eq!(enums::REQ_TYPE_MAP.len() as i32 + 1, UV_REQ_TYPE_MAX);
        assert_eq!(
            enums::REQ_TYPE_MAP[(UV_GETNAMEINFO - 1) as usize].0,
            "GETNAMEINFO"
        );
    }

    #[test]
    fn errno_values_are_negated_linux_errnos() {
        for (name, value, _) in ERRNO_TABLE {
            let libuv_own = ["EOF", "EFTYPE", "ECHARSET", "UNKNOWN"];
            if !name.starts_with("EAI_") && !libuv_own.contains(name) {
                assert!(*value < 0 && *value > -4000, "{name}");
            }
        }
        assert_eq!(UV_EINVAL, -libc::EINVAL);
        assert_eq!(UV_ECANCELED, -libc::ECANCELED);
    }
}
