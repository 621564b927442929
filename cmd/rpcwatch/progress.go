package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dustin/go-humanize"
)

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// progressSource is what progress needs from a file source.
type progressSource interface {
	Progress() (read, total int64)
}

// progressEvery is the update interval; nothing is printed for reads that
// end before the first update.
const progressEvery = time.Second

// startProgress prints a one-line progress report to w (a terminal) every
// progressEvery until the returned stop is called, which clears the line.
func startProgress(w io.Writer, name string, src progressSource, packets *atomic.Int64) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		start := time.Now()
		t := time.NewTicker(progressEvery)
		defer t.Stop()
		printed := false
		for {
			select {
			case <-done:
				if printed {
					fmt.Fprint(w, "\r\033[K")
				}
				return
			case now := <-t.C:
				read, total := src.Progress()
				el := now.Sub(start).Seconds()
				n := packets.Load()
				line := fmt.Sprintf("\r\033[K%s: %s", name, humanize.Bytes(uint64(read)))
				if total > 0 {
					line += fmt.Sprintf(" of %s (%d%%)", humanize.Bytes(uint64(total)), read*100/max(total, 1))
				}
				line += fmt.Sprintf(", %s packets, %s packets/s", humanize.Comma(n), humanize.Comma(int64(float64(n)/el)))
				if total > 0 && read > 0 && read < total {
					eta := time.Duration(float64(total-read) / (float64(read) / el) * float64(time.Second))
					line += ", ETA " + eta.Round(time.Second).String()
				}
				fmt.Fprint(w, line)
				printed = true
			}
		}
	}()
	return func() {
		close(done)
		wg.Wait()
	}
}
