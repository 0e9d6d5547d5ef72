package main

// Example runs the README's example; its output is the README's.
func Example() {
	main()
	// Output:
	// epoch  1  loss 0.3905  test accuracy 90.5%
	// epoch  2  loss 0.2225  test accuracy 95.0%
	// epoch  3  loss 0.1369  test accuracy 98.0%
	// epoch 20  loss 0.0018  test accuracy 100.0%
}
