// Package ranked counts ranked ballots once they are decrypted: instant-runoff
// voting (IRV), the single transferable vote for several seats under the
// Scottish rules (STV), Condorcet–Schulze and the Borda count, as specified
// in docs/spec/ranked.md.
//
// The package is pure: the official who publishes a result and the verifier
// who recomputes it call the same functions on the same decrypted ballots,
// so they agree byte for byte. Every function is deterministic: ties are
// broken first by the counts of earlier rounds where the rules say so, then
// by a lot drawn from a public seed the caller gives (the election base hash
// and the contest's identifier, say), which anyone can redraw (§3).
//
// A ballot arrives as a rank vector, one rank per candidate (0 for
// unranked, 1 for the first choice …), as the ballot encoding of
// docs/spec/ranked.md §1 carries it. Profile.AddRanks turns it into a
// Ranking or, if it breaks the rules of §2 (a rank out of range, two
// candidates of one rank, a gap), discards it and records why; a discarded
// ballot counts for nothing in any method.
//
// Alternatives: Meek STV (iterated keep values, exact rationals) elects the
// same candidates in most elections and better in some, but is not a
// statutory rule a returning officer can follow by hand; the Scottish rules
// are, and their fixed-point arithmetic of five decimal places is exact in
// int64.
package ranked
