package voterclient

import "github.com/evote/evote/bulletin"

// ReceiptMessage exports receiptMessage for tests.
var ReceiptMessage = receiptMessage

// Submission returns the submission being delivered.
func (d *Delivery) Submission() *bulletin.Submission { return d.sub }
