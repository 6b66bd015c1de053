// Package browsertest starts a real headless Chromium for tests (chromedp).
// It knows nothing of sswbot's pages; console and cmd/sswbot tests share it.
package browsertest

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Chromium is where make test installs the browser.
const Chromium = "/usr/bin/chromium"

// Start starts a headless Chromium that lives as long as the test (at most
// timeout). Without the binary the test is skipped, or fails when CI is
// set, so CI cannot pass without having run the browser tests.
func Start(tb testing.TB, timeout time.Duration) context.Context {
	tb.Helper()
	if _, err := os.Stat(Chromium); err != nil {
		if os.Getenv("CI") != "" {
			tb.Fatalf("chromium is required in CI: %v", err)
		}
		tb.Skipf("no chromium at %s", Chromium)
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	tb.Cleanup(cancel)
	alloc, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(Chromium),
		chromedp.Headless,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("force-color-profile", "srgb"),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("password-store", "basic"),
		chromedp.UserDataDir(tb.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	tb.Cleanup(cancelAlloc)
	bctx, cancelBrowser := chromedp.NewContext(alloc)
	tb.Cleanup(cancelBrowser)
	return bctx
}

// Eventually polls the text of the first element matching css until ok
// accepts it, failing the test after a generous deadline: it checks that a
// page updates by itself, not how fast.
func Eventually(tb testing.TB, ctx context.Context, css, what string, ok func(string) bool) string {
	tb.Helper()
	var got string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		s, err := chromedp.Run(ctx, chromedp.Evaluate[string](fmt.Sprintf(`(document.querySelector(%q)||{}).textContent||""`, css)))
		if err == nil {
			got = s
			if ok(got) {
				return got
			}
		}
	}
	tb.Fatalf("%s: %s still shows %q", what, css, got)
	return got
}
