pub mod varlink;
