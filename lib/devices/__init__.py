"""Where the network computes: the Keras backend and device (backend.py), several devices with tf.distribute (distribute.py)."""
