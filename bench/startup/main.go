// Command startup measures how long programs take to start and exit: it
// runs each given command in turn, alternating (A B C A B C …) so that
// other work on the machine hits all of them alike, and prints, per
// command, the median and 95th percentile of the wall time from fork to
// exit, and the mean CPU time (user+sys) the child used.
//
//	startup -n 300 'outbox --version' 'msmtp --version'
//
// Output, one line per command, in the order given (µs):
//
//	median=2140 p95=3012 cpu=1850 n=300 cmd=outbox --version
//
// A command is split on spaces (no quoting); its stdout and stderr are
// discarded; a non-zero exit is an error, since a command that fails
// early measures nothing. bench/run's start-up row calls it.
package main

import (
	"flag"
	"fmt"
	"log"
	"os/exec"
	"slices"
	"strings"
	"time"
)

func main() {
	n := flag.Int("n", 200, "runs of each command")
	warm := flag.Int("warm", 10, "unmeasured runs of each command first (page cache, branch predictors)")
	flag.Parse()
	if flag.NArg() == 0 {
		log.Fatal("startup: no command given; usage: startup [-n RUNS] 'CMD ARGS' ...")
	}
	cmds := make([][]string, flag.NArg())
	for i, c := range flag.Args() {
		cmds[i] = strings.Fields(c)
		if len(cmds[i]) == 0 {
			log.Fatalf("startup: command %d is empty", i+1)
		}
	}
	wall := make([][]time.Duration, len(cmds))
	cpu := make([]time.Duration, len(cmds))
	for r := -*warm; r < *n; r++ {
		for i, c := range cmds {
			w, u, err := once(c)
			if err != nil {
				log.Fatalf("startup: %s: %v", strings.Join(c, " "), err)
			}
			if r >= 0 {
				wall[i] = append(wall[i], w)
				cpu[i] += u
			}
		}
	}
	for i, c := range cmds {
		slices.Sort(wall[i])
		fmt.Printf("median=%d p95=%d cpu=%d n=%d cmd=%s\n", median(wall[i]).Microseconds(),
			wall[i][(len(wall[i])*95+99)/100-1].Microseconds(), (cpu[i] / time.Duration(*n)).Microseconds(),
			*n, strings.Join(c, " "))
	}
}

// once runs one command to its end: wall time and the child's CPU time.
func once(c []string) (time.Duration, time.Duration, error) {
	cmd := exec.Command(c[0], c[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = nil, nil, nil // /dev/null
	t0 := time.Now()
	err := cmd.Run()
	w := time.Since(t0)
	if err != nil {
		return 0, 0, err
	}
	return w, cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime(), nil
}

func median(s []time.Duration) time.Duration {
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
