package ranked

import "fmt"

// Count counts p by the method named (docs/spec/ranked.md §4–§7): "irv",
// "stv" for seats seats, "schulze" or "borda", with the lots drawn from
// seed. It returns the method's result: *IRVResult, *STVResult,
// *SchulzeResult or *BordaResult.
func Count(method string, seats int, p *Profile, seed []byte) (any, error) {
	switch method {
	case "irv":
		return IRV(p, seed)
	case "stv":
		return STV(p, seats, seed)
	case "schulze":
		return Schulze(p, seed)
	case "borda":
		return Borda(p, seed)
	}
	return nil, fmt.Errorf("ranked: unknown method %q", method)
}
