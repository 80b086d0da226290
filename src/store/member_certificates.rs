//! The certificates of members' signing keys of kind `certificate` (an outside CA's): the
//! member's certificate, the chain they enrolled and the CA it verified up to.

use super::{StoreError, Tx, on_conn};

impl Tx {
    /// Records the certificate of a key just inserted, in the same transaction.
    pub(crate) async fn set_signing_key_certificate(
        &mut self,
        key_id: &str,
        certificate_der: &[u8],
        chain_pem: &str,
        authority: &str,
    ) -> Result<(), StoreError> {
        on_conn!(self, conn => sqlx::query(
            "UPDATE member_signing_keys SET certificate = $2, certificate_chain_pem = $3, \
             certificate_authority = $4 WHERE id = $1")
            .bind(key_id)
            .bind(certificate_der)
            .bind(chain_pem)
            .bind(authority)
            .execute(conn)
            .await
            .map(drop))?;
        Ok(())
    }

    /// The certificate chain (PEM) of a key, if it is a certificate key.
    pub(crate) async fn signing_key_certificate_chain(
        &mut self,
        key_id: &str,
    ) -> Result<Option<String>, StoreError> {
        Ok(on_conn!(self, conn => sqlx::query_scalar::<_, String>(
            "SELECT certificate_chain_pem FROM member_signing_keys \
             WHERE id = $1 AND certificate_chain_pem IS NOT NULL")
            .bind(key_id)
            .fetch_optional(conn)
            .await)?)
    }

    /// The enrolled chain (PEM) of a certificate key and the trusted CA it verified up to, as
    /// an archive package carries them.
    pub(crate) async fn signing_key_certificate(
        &mut self,
        key_id: &str,
    ) -> Result<Option<(String, String)>, StoreError> {
        Ok(
            on_conn!(self, conn => sqlx::query_as::<_, (String, String)>(
            "SELECT certificate_chain_pem, certificate_authority FROM member_signing_keys \
             WHERE id = $1 AND certificate_chain_pem IS NOT NULL \
             AND certificate_authority IS NOT NULL")
            .bind(key_id)
            .fetch_optional(conn)
            .await)?,
        )
    }
}
