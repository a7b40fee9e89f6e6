// go-loader: a small tool as cilium/ebpf users write them, run by
// tests/tests/guest_go_loader.rs natively on the stock kernel and through `bpfhook run`
// (which traces Go binaries: their raw system calls never reach LD_PRELOAD) on the
// kernels without bpf(2); the two outputs must be identical.
//
// It loads the CO-RE object of tests/rust-loader/src/bpf/probe.bpf.c (kprobe and
// tracepoint on getppid, a hash map, a ring buffer, .rodata set before the load, .bss
// read back), makes `calls` getppid calls, most from goroutines locked to threads of
// their own, then prints what the ring buffer, the map and .bss saw, one line per fact.
// With a third argument, `sigint`, it then waits for SIGINT as a long-running agent does,
// detaches and closes everything, says so, and exits 0.
//
// Built offline against Debian's golang-github-cilium-ebpf-dev (0.9.1) in GOPATH mode.
package main

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"sync"
	"syscall"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
	"github.com/cilium/ebpf/ringbuf"
)

const calls = 50

var kinds = []struct {
	id   uint32
	name string
}{{1, "kprobe"}, {2, "tracepoint"}}

func fail(what string, err error) {
	fmt.Fprintf(os.Stderr, "go-loader: %s: %v\n", what, err)
	os.Exit(1)
}

func main() {
	if len(os.Args) < 3 || len(os.Args) > 4 || (len(os.Args) == 4 && os.Args[3] != "sigint") {
		fmt.Fprintln(os.Stderr, "usage: go-loader OBJECT KPROBE_SYMBOL [sigint]")
		os.Exit(2)
	}
	// Before "done" is printed: the test sends SIGINT as soon as it reads that line.
	interrupted := make(chan os.Signal, 1)
	signal.Notify(interrupted, os.Interrupt)
	spec, err := ebpf.LoadCollectionSpec(os.Args[1])
	if err != nil {
		fail("load the object", err)
	}
	if err := spec.RewriteConstants(map[string]interface{}{"target_tgid": uint32(os.Getpid())}); err != nil {
		fail("set target_tgid", err)
	}
	coll, err := ebpf.NewCollection(spec)
	if err != nil {
		var verr *ebpf.VerifierError
		if errors.As(err, &verr) {
			fmt.Fprintf(os.Stderr, "%+v\n", verr)
		}
		fail("load into the kernel", err)
	}
	defer coll.Close()
	kp, err := link.Kprobe(os.Args[2], coll.Programs["on_getppid_kprobe"], nil)
	if err != nil {
		fail("attach the kprobe", err)
	}
	defer kp.Close()
	tp, err := link.Tracepoint("syscalls", "sys_enter_getppid", coll.Programs["on_getppid_tracepoint"], nil)
	if err != nil {
		fail("attach the tracepoint", err)
	}
	defer tp.Close()
	fmt.Println("attached")

	// From several OS threads, the tracer must follow every one. One after the other:
	// the program's first event of a kind creates its map entry (BPF_NOEXIST), and two
	// first events at once would count one (natively too).
	syscall.Syscall(syscall.SYS_GETPPID, 0, 0, 0)
	for w := 0; w < 7; w++ {
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Not unlocked: the thread ends with the goroutine, the next one gets another.
			runtime.LockOSThread()
			for i := 0; i < (calls-1)/7; i++ {
				syscall.Syscall(syscall.SYS_GETPPID, 0, 0, 0)
			}
		}()
		wg.Wait()
	}

	rd, err := ringbuf.NewReader(coll.Maps["events"])
	if err != nil {
		fail("ring buffer reader", err)
	}
	seen := map[uint32]int{}
	total := 0
	go func() {
		time.Sleep(10 * time.Second)
		rd.Close()
	}()
	for total < 2*calls {
		rec, err := rd.Read()
		if err != nil {
			break
		}
		seen[binary.LittleEndian.Uint32(rec.RawSample)]++
		total++
	}
	for _, k := range kinds {
		fmt.Printf("ringbuf %s events=%d\n", k.name, seen[k.id])
		var n uint64
		if err := coll.Maps["counts"].Lookup(k.id, &n); err != nil {
			n = 0
		}
		fmt.Printf("map counts[%s]=%d\n", k.name, n)
	}
	bss := coll.Maps[".bss"]
	var seq uint64
	if bss == nil {
		fail("no .bss map", nil)
	}
	if err := bss.Lookup(uint32(0), &seq); err != nil {
		fail("read .bss", err)
	}
	fmt.Printf("bss seq=%d\n", seq)
	fmt.Println("done")
	if len(os.Args) == 4 {
		<-interrupted
		// Checked here, not left to the deferred calls: a clean exit detaches.
		if err := tp.Close(); err != nil {
			fail("detach the tracepoint", err)
		}
		if err := kp.Close(); err != nil {
			fail("detach the kprobe", err)
		}
		coll.Close()
		fmt.Println("SIGINT: detached, exiting")
	}
}
