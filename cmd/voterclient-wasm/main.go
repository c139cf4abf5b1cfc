//go:build js && wasm

// Command voterclient-wasm is the voter web page's WebAssembly module. It
// only bridges JavaScript to package voterclient: it installs a global
// object evote whose methods take and return JSON text, then waits forever.
// The page's JavaScript does all network I/O with fetch().
//
//	evote.sync(recordsPage)      evote.anchor(argsJSON)
//	evote.credential(fileText)   evote.credentialText(pasted)
//	evote.newCredential(argsJSON) evote.checkRoll(credentialText)
//	evote.language(tag)          evote.check(argsJSON)
//	evote.prepare(argsJSON)      evote.cast(argsJSON) evote.challenge(argsJSON)
//	evote.posted(argsJSON)       evote.reveal(challengedPayload)
//	evote.operators(listJSON)    evote.switchOperator(argsJSON)
//	evote.readFailover(argsJSON) evote.resend()
//	evote.delivery()             evote.lookup(argsJSON)
//	evote.lookupScan(recordsPage) evote.lookupFinish(inclusionProofJSON)
//	evote.receiptInfo(text)      evote.checkReceipt(argsJSON)
//	evote.receiptScan(recordsPage)
//	evote.receiptFinish(inclusionProofJSON)
//	evote.version
//
// Each returns {"ok":true,"result":…} or {"ok":false,"error":{…}} as a
// string; see docs/spec/voter-client.md §4. Build it with
// scripts/build-web.sh.
package main

import (
	"syscall/js"

	"github.com/evote/evote/voterclient"
)

// version names the module's interface; the page checks it.
const version = "evote/v1/voterclient"

func main() {
	s := voterclient.NewSession()
	api := js.Global().Get("Object").New()
	for _, name := range voterclient.Methods() {
		api.Set(name, js.FuncOf(func(this js.Value, args []js.Value) any {
			arg := ""
			if len(args) > 0 && args[0].Type() == js.TypeString {
				arg = args[0].String()
			}
			return s.Call(name, arg)
		}))
	}
	api.Set("version", version)
	js.Global().Set("evote", api)
	if ready := js.Global().Get("evoteReady"); ready.Type() == js.TypeFunction {
		ready.Invoke()
	}
	select {}
}
