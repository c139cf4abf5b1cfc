package ceremony

import "github.com/evote/evote/crypto"

// SetKDF sets the keystore's Argon2id parameters and returns a function
// restoring the previous ones.
func SetKDF(time, memoryKiB uint32, threads uint8) (restore func()) {
	old := keystoreKDF
	keystoreKDF = kdfParams{time: time, memory: memoryKiB, threads: threads}
	return func() { keystoreKDF = old }
}

// SealShare and OpenShare expose the HPKE share transport.
func SealShare(ctx []byte, sender, recipient uint32, encKey []byte, s *crypto.Scalar) (EncryptedShare, error) {
	return sealShare(ctx, sender, recipient, encKey, s)
}

func OpenShare(ctx []byte, sender uint32, k *TrusteeKeys, es EncryptedShare) (*crypto.Scalar, error) {
	return openShare(ctx, sender, k, es)
}

// ShareInfo and CoefficientsContext expose the binding strings for the spec
// vectors test.
var (
	ShareInfo           = shareInfo
	CoefficientsContext = coefficientsContext
)

const KeystoreHeaderLen = keystoreHeaderLen

// defaultKDF is the production parameter set, captured before TestMain
// lowers it.
var defaultKDF = keystoreKDF

// UseDefaultKDF sets the production parameters and returns a function
// restoring the previous ones.
func UseDefaultKDF() (restore func()) {
	return SetKDF(defaultKDF.time, defaultKDF.memory, defaultKDF.threads)
}
