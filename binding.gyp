{
  "targets": [
    {
      "target_name": "node_wsk",
      "sources": [
        "native/args.cc",
        "native/binding.cc",
        "native/handle_table.cc",
        "native/message_calls.cc",
        "native/netaddr.cc",
        "native/readiness.cc",
        "native/receive.cc",
        "native/resolver.cc",
        "native/ring.cc",
        "native/socket_calls.cc",
        "native/socket_handle.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=9", "NAPI_CPP_EXCEPTIONS", "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS"],
      "cflags!": ["-fno-exceptions", "-O3"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++17", "-O3"],
      "cflags": ["-O2"],
      "cflags_cc": ["-std=c++17", "-fexceptions"],
      "xcode_settings": {
        "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
        "CLANG_CXX_LANGUAGE_STANDARD": "c++17"
      },
      "msvs_settings": { "VCCLCompilerTool": { "ExceptionHandling": 1 } }
    }
  ]
}
