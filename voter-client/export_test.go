package voterclient

// ReceiptMessage exports receiptMessage for tests.
var ReceiptMessage = receiptMessage
