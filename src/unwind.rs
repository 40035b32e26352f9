//! Keeping the loop consistent when a callback unwinds.
//!
//! Callbacks are `extern "C-unwind"`: a C++ exception thrown by a callback propagates
//! through uv_run to the program. Wherever the loop moves work to a temporary list before
//! running callbacks, an `OnUnwind` guard puts the unfinished rest back, so the loop stays
//! usable after the exception is caught.

/// Runs `f(state)` if dropped without `disarm` (that is, while unwinding).
pub struct OnUnwind<S: Copy, F: FnMut(S)> {
    state: S,
    f: Option<F>,
}

impl<S: Copy, F: FnMut(S)> OnUnwind<S, F> {
    pub fn new(state: S, f: F) -> Self {
        OnUnwind { state, f: Some(f) }
    }

    pub fn state(&self) -> S {
        self.state
    }

    /// The normal path: the guarded work finished, nothing to restore.
    pub fn disarm(mut self) {
        self.f = None;
    }
}

impl<S: Copy, F: FnMut(S)> Drop for OnUnwind<S, F> {
    fn drop(&mut self) {
        if let Some(mut f) = self.f.take() {
            f(self.state);
        }
    }
}
