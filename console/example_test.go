package console_test

import (
	"fmt"
	"slices"

	"example.com/sswbot/console"
)

// ExampleParseUsers reads SSWBOT_CONSOLE_USERS or a users file; make the
// hashes with `sswbot hash-password`.
func ExampleParseUsers() {
	users, err := console.ParseUsers(`
# support staff
aiko:$2a$04$G9hhTnVAu3k93tFnQTOM.OKO5ME6s/ydLXH7NGIRHjnd9pnXlCU6m
bek:$2a$04$G9hhTnVAu3k93tFnQTOM.OKO5ME6s/ydLXH7NGIRHjnd9pnXlCU6m
`)
	if err != nil {
		fmt.Println(err)
		return
	}
	names := make([]string, 0, len(users))
	for n := range users {
		names = append(names, n)
	}
	slices.Sort(names)
	fmt.Println(names)

	_, err = console.ParseUsers("aiko:hunter2")
	fmt.Println(err)
	// Output:
	// [aiko bek]
	// user entry 1: user "aiko": password hash is not bcrypt (make one with sswbot hash-password)
}
