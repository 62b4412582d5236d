# Sourced by the scripts: find cargo (rustup puts it in ~/.cargo/bin, which
# sudo's PATH leaves out, so the invoking user's is looked for too) and
# check that it is new enough for berth (Cargo.toml's rust-version).
for dir in "$HOME/.cargo/bin" "$(getent passwd "${SUDO_USER:-root}" | cut -d: -f6)/.cargo/bin"; do
    if ! command -v cargo >/dev/null 2>&1 && [ -x "$dir/cargo" ]; then
        export PATH="$dir:$PATH"
    fi
done
if ! command -v cargo >/dev/null 2>&1; then
    echo "berth needs Rust 1.89 or later: https://rustup.rs (curl https://sh.rustup.rs -sSf | sh)" >&2
    exit 1
fi
need=$(sed -n 's/^rust-version = "\(.*\)"/\1/p' Cargo.toml)
have=$(rustc --version | cut -d' ' -f2)
if [ "$(printf '%s\n%s\n' "$need" "$have" | sort -V | head -n1)" != "$need" ]; then
    echo "berth needs Rust $need or later, and rustc is $have: rustup update" >&2
    exit 1
fi
