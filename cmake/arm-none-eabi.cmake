# Cross toolchain for Cortex-M with arm-none-eabi-gcc. The core flags default to the
# Cortex-M4F (hard float, FPv4-SP-D16); a board passes its own with -DMDY_CPU_FLAGS=...
# (host_tools/boards.py Board.cpu_flags), e.g. "-mcpu=cortex-m7 ... -mfpu=fpv5-sp-d16".
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR arm)
# The bare-metal compiler cannot link a test executable without a linker script.
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)

set(CMAKE_C_COMPILER arm-none-eabi-gcc)
set(CMAKE_ASM_COMPILER arm-none-eabi-gcc)
set(CMAKE_AR arm-none-eabi-ar)
set(CMAKE_OBJCOPY arm-none-eabi-objcopy)
set(CMAKE_SIZE arm-none-eabi-size)

if(NOT MDY_CPU_FLAGS)
    set(MDY_CPU_FLAGS "-mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16")
endif()
set(MDY_CPU_FLAGS "${MDY_CPU_FLAGS}" CACHE STRING "core flags (-mcpu, -mfpu, -mfloat-abi)")
set(CMAKE_C_FLAGS_INIT "${MDY_CPU_FLAGS} -ffunction-sections -fdata-sections -fno-common")
set(CMAKE_ASM_FLAGS_INIT "${MDY_CPU_FLAGS}")
set(CMAKE_EXE_LINKER_FLAGS_INIT "${MDY_CPU_FLAGS} --specs=nano.specs --specs=nosys.specs")

set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
