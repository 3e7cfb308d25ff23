package objstore_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tributary-io/tributary/internal/objstore"
)

// The crash test re-executes the test binary as a child that writes objects
// in a loop and prints each acknowledged write; the parent kills it with
// SIGKILL mid-stream and then checks the directory. SIGKILL kills the
// process, not the machine, so this checks atomicity (rename over a fully
// written temp file) and that acknowledged data is on disk, not that fsync
// reaches the platter; that needs a power cut no test here can make.
const crashChildEnv = "TRIBUTARY_OBJSTORE_CRASH_CHILD_DIR"

// crashObject is the content of the i-th object: sizes vary from one byte
// to about 256 KiB so a kill often lands mid-write.
func crashObject(i int) []byte {
	r := rand.New(rand.NewPCG(uint64(i), 42))
	b := make([]byte, 1+r.IntN(256<<10))
	for j := range b {
		b[j] = byte(r.Uint32())
	}
	return b
}

// TestLocalCrashChild is the child half of TestLocalCrashDurability; it
// does nothing unless started by it.
func TestLocalCrashChild(t *testing.T) {
	dir := os.Getenv(crashChildEnv)
	if dir == "" {
		t.Skip("only runs as the child of TestLocalCrashDurability")
	}
	s, err := objstore.NewLocal(dir)
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	ctx := t.Context()
	for i := 0; ; i++ {
		// A fresh key, then a replacement of one hot key, alternately.
		if err := s.Put(ctx, fmt.Sprintf("crash/%06d", i), crashObject(i)); err != nil {
			fmt.Println("error", err)
			os.Exit(1)
		}
		fmt.Printf("ack crash/%06d\n", i)
		if err := s.Put(ctx, "hot", crashObject(i)); err != nil {
			fmt.Println("error", err)
			os.Exit(1)
		}
		fmt.Printf("ack hot %d\n", i)
	}
}

func TestLocalCrashDurability(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test starts a child process")
	}
	dir := t.TempDir()
	for round := range 3 {
		acked, hot := crashRound(t, dir, 40+round*37)
		checkAfterCrash(t, dir, acked, hot)
	}
}

// crashRound starts a writer child, kills it after killAfter acks, and
// returns the keys it acknowledged and the last acknowledged version of
// the hot key (-1 for none).
func crashRound(t *testing.T, dir string, killAfter int) (acked []string, hot int) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestLocalCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+dir)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	hot = -1
	sc := bufio.NewScanner(stdout)
	killed := false
	deadline := time.AfterFunc(time.Minute, func() { cmd.Process.Kill() })
	defer deadline.Stop()
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "ack hot "):
			hot, _ = strconv.Atoi(strings.TrimPrefix(line, "ack hot "))
		case strings.HasPrefix(line, "ack "):
			acked = append(acked, strings.TrimPrefix(line, "ack "))
		case strings.HasPrefix(line, "error"):
			t.Fatalf("child: %s", line)
		}
		if !killed && len(acked) >= killAfter {
			cmd.Process.Signal(syscall.SIGKILL)
			killed = true // keep reading: acks already written are in the pipe
		}
	}
	io.Copy(io.Discard, stdout)
	cmd.Wait()
	if !killed {
		t.Fatalf("child ended before being killed, after %d acks", len(acked))
	}
	return acked, hot
}

func checkAfterCrash(t *testing.T, dir string, acked []string, hot int) {
	t.Helper()
	s, err := objstore.NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	for _, key := range acked {
		i, _ := strconv.Atoi(strings.TrimPrefix(key, "crash/"))
		got, err := s.Get(ctx, key)
		if err != nil || !bytes.Equal(got, crashObject(i)) {
			t.Fatalf("acknowledged %s: %d bytes, %v; want its full %d bytes", key, len(got), err, len(crashObject(i)))
		}
	}
	// Every visible object, acknowledged or not, is whole.
	infos, err := s.List(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, info := range infos {
		if info.Key == "hot" {
			continue
		}
		i, _ := strconv.Atoi(strings.TrimPrefix(info.Key, "crash/"))
		if got, _ := s.Get(ctx, info.Key); !bytes.Equal(got, crashObject(i)) {
			t.Fatalf("visible object %s is partial: %d bytes of %d", info.Key, len(got), len(crashObject(i)))
		}
	}
	// The hot key holds the last acknowledged version or the one in flight.
	got, err := s.Get(ctx, "hot")
	if hot >= 0 && err != nil {
		t.Fatalf("hot key after crash: %v", err)
	}
	if err == nil && !bytes.Equal(got, crashObject(hot)) && !bytes.Equal(got, crashObject(hot+1)) {
		t.Fatalf("hot key holds neither version %d nor %d (%d bytes)", hot, hot+1, len(got))
	}
}
