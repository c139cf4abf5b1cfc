package voterclient

import "github.com/evote/evote/bulletin"

// ReceiptMessage exports receiptMessage for tests, in English.
func ReceiptMessage(st *ReceiptStatus) string { return receiptMessage(st).String() }

// Submission returns the submission being delivered.
func (d *Delivery) Submission() *bulletin.Submission { return d.sub }
