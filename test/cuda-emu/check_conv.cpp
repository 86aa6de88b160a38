#include "harness.h"
namespace emu_check {
void check_conv() {}
}
