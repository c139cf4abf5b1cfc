// Package tally turns the encrypted ballots of an election into verified
// totals, as specified in docs/spec/tally.md.
//
// It works on vectors of exponential ElGamal ciphertexts of a fixed length L
// and knows nothing about contests or options: the election layer maps each
// option to a position 0..L−1. The steps are
//
//   - aggregation (§2): an Accumulator adds the ciphertext vectors of the
//     counted ballots position by position;
//   - partial decryption (§3, §4): trustee j with secret share s_j posts
//     M_{j,k} = s_j·A_k for every sum (A_k, B_k), each with a Chaum–Pedersen
//     proof that it used the share behind its verification key VK_j = s_j·G;
//   - combination (§5, §6): any t valid partial decryptions give
//     x·A_k = Σ λ_j·M_{j,k} by Lagrange interpolation at 0, hence
//     v_k·G = B_k − x·A_k, and v_k by a bounded discrete logarithm;
//   - verification (§7): VerifyResult recomputes all of it from public data.
//
// The package is pure: it does no I/O and keeps no state beyond its values.
// It uses several goroutines for the heavy loops; every result is
// deterministic. Secret shares are used only in constant-time operations;
// everything else (proof verification, combination) is variable time on
// public data.
package tally
