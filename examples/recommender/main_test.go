package main

// Example runs the example: within 5% of the noise floor, and no
// overfitting over 20 epochs.
func Example() {
	main()
	// Output:
	// epoch  1  train loss 1.0819  test RMSE 0.7748  MAE 0.5794
	// epoch  5  train loss 0.1414  test RMSE 0.3145  MAE 0.2512
	// epoch 10  train loss 0.1409  test RMSE 0.3142  MAE 0.2507
	// epoch 15  train loss 0.1404  test RMSE 0.3153  MAE 0.2517
	// epoch 20  train loss 0.1402  test RMSE 0.3151  MAE 0.2515
	// noise floor: RMSE 0.3
}
