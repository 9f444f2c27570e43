"""The ATen operators behind the APIs that exercises forbid, for the run-time watch (lib.testing).

torch reaches one kernel through many Python names (torch.sigmoid, Tensor.sigmoid_,
torch.special.expit, torch.ops.aten.sigmoid, a TorchScript function); at the dispatcher they all
run the same operator, which an Exercise's `forbidden_ops` names: the packet name of
`func.overloadpacket` in a TorchDispatchMode, in-place variants (sigmoid_) counting as their
function. Only operators with a kernel of their own can be told apart there; composite ones
(F.linear, torch.lstm_cell) decompose into the matmuls an honest answer runs too, so their doors
are closed by the Python watch and by lib.source_rules (torch.ops, private names).
ENGINE stands for the autograd engine: any operator run during a backward pass, or while
forward-mode AD is on (torch.autograd.forward_ad, torch.func.jvp and jacfwd).
"""

ENGINE = "autograd engine"
AUTOGRAD = (ENGINE,)
# sigmoid(x) = softmax([x, 0])[0] = exp(logsigmoid(x)) = exp(-softplus(-x)) = silu(x) / x = glu([1, x])
SIGMOID = ("sigmoid", "log_sigmoid_forward", "softplus", "_softmax", "_log_softmax", "_safe_softmax", "silu", "glu",
           "logaddexp", "binary_cross_entropy_with_logits")
ACTIVATION_GRADIENTS = ("sigmoid_backward", "tanh_backward", "threshold_backward", "hardtanh_backward")
MSE = ("mse_loss", "mse_loss_backward", "huber_loss", "smooth_l1_loss")  # both are MSE for a large delta or beta
SOFTMAX = ("_softmax", "_log_softmax", "_safe_softmax", "_softmax_backward_data", "_log_softmax_backward_data")
# softplus(z) = log(1 + e^z) = logaddexp(0, z) = logsumexp([0, z]) = -log_softmax([0, z])[0]
BINARY_CROSS_ENTROPY = SOFTMAX + ("binary_cross_entropy_with_logits", "binary_cross_entropy",
                                  "binary_cross_entropy_backward", "log_sigmoid_forward", "log_sigmoid_backward",
                                  "softplus", "softplus_backward", "logsumexp", "logcumsumexp", "logaddexp")
CROSS_ENTROPY = SOFTMAX + ("logsumexp", "logcumsumexp", "nll_loss", "nll_loss_forward", "nll_loss2d_forward", "nll_loss_nd", "cross_entropy_loss",
                           "nll_loss_backward", "nll_loss2d_backward")
FUSED_OPTIMIZERS = ("_fused_sgd", "_fused_adam", "_fused_adamw", "_fused_adagrad")
ATTENTION = ("_scaled_dot_product_flash_attention_for_cpu", "_scaled_dot_product_flash_attention",
             "_scaled_dot_product_efficient_attention", "_scaled_dot_product_cudnn_attention",
             "_scaled_dot_product_fused_attention_overrideable", "_efficient_attention_forward",
             "_flash_attention_forward", "_native_multi_head_attention", "_transformer_encoder_layer_fwd")
CONVOLUTION = ("convolution", "_convolution", "convolution_overrideable", "mkldnn_convolution", "_slow_conv2d_forward",
               "slow_conv3d_forward", "slow_conv_dilated2d", "slow_conv_dilated3d", "slow_conv_transpose2d",
               "_conv_depthwise2d", "_nnpack_spatial_convolution", "cudnn_convolution", "miopen_convolution",
               "im2col", "col2im", "convolution_backward")
WINDOWS = ("unfold", "unfold_copy")
POOLING = ("max_pool2d_with_indices", "max_pool3d_with_indices", "max_pool2d_with_indices_backward",
           "max_pool3d_with_indices_backward", "max_pool2d", "max_pool3d", "mkldnn_max_pool2d", "quantized_max_pool2d",
           "adaptive_max_pool2d", "adaptive_max_pool3d", "fractional_max_pool2d", "max_unpool2d", "max_unpool3d",
           "avg_pool2d", "avg_pool3d", "_adaptive_avg_pool2d", "adaptive_avg_pool2d")
PADDING = ("_nested_tensor_from_tensor_list", "to_padded_tensor", "_nested_from_padded", "_pack_padded_sequence",
           "_pad_packed_sequence")
LSTM = ("lstm", "_thnn_fused_lstm_cell", "mkldnn_rnn_layer", "_cudnn_rnn", "miopen_rnn", "quantized_lstm_cell",
        "_lstm_mps", "_thnn_differentiable_lstm_cell_backward")
